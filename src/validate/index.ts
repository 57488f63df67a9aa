/**
 * The validator: kernel profiles as data, the verdict a kernel would reach
 * on a head or block (claimed, raw or refused, with the deciding rule), the
 * layout explanation and the text rendering of a verdict.
 *
 * Import it alone as `nd-infoblock/validate`.
 * @packageDocumentation
 */
export { checkHead, checkBlock, hazardsFor } from './check';
export type { Verdict, CheckOptions, Hazard, Outcome, RuleReport } from './check';
export { PROFILES, PROFILE_IDS, LEGACY_PROFILE_IDS, ARCHES, isProfileId } from './profiles';
export type { ProfileId, Arch, ArchParams, KernelProfile } from './profiles';
export type { Rule, RuleCtx, RuleOutcome } from './rules';
export { explainLayout, layoutAscii, layoutSvg } from './explain';
export type { Region } from './explain';
export { renderVerdict } from './render';

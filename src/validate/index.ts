/**
 * The validator: kernel profiles as data, the verdict a kernel would reach
 * on a head or block (claimed, raw or refused, with the deciding rule), the
 * layout explanation and the text rendering of a verdict.
 *
 * Import it alone as `nd-infoblock/validate`.
 * @packageDocumentation
 */
export { checkHead, checkBlock, hazardsFor } from './check';
export type { Verdict, CheckOptions, Hazard, HazardFix, Outcome, RuleReport } from './check';
export {
  PROFILES,
  PROFILE_IDS,
  LEGACY_PROFILE_IDS,
  isProfileId,
  isKernelSpec,
  profileForKernel,
  profileOf,
} from './profiles';
export type { ProfileId, KernelProfile, ProfileRule } from './profiles';
export { ARCHES, ARCH_NAMES, archParams } from './arch';
export type { Arch, ArchParams } from './arch';
export type { Era, Predicate, RuleCtx, RuleOutcome } from './rules';
export { RULE_TABLE, eraOf, ruleEntry, validationFailureRefuses, probeFailureLine } from './history';
export type { RuleEntry, Stage } from './history';
export {
  resolveKernel,
  resolveKernels,
  KNOWN_SERIES,
  BOOTED_KERNELS,
  DEFAULT_KERNEL,
  DEFAULT_PROFILE,
  NEWEST_KERNEL,
  OLDEST_KERNEL,
  KERNEL_FORMS,
} from './versions';
export type { KernelSeries, ResolvedKernel } from './versions';
export { checkKernels } from './check-kernels';
export type { KernelHazard, KernelsReport } from './check-kernels';
export {
  geometryOf,
  gateFields,
  kernelAlign,
  dataStartFor,
  ndctlOffsetEvidence,
  memmapFits,
  basesFittingBlock,
  baseFits,
} from './geometry';
export type { BaseFit, Geometry, GeometryInput, Reader } from './geometry';
export { explainLayout } from './explain';
export type { Region } from './explain';
export { checkLabelledDimm } from './labels';
export type { DimmReader, LabelledCheck, LabelledNamespaceVerdict, LabelledOptions, SkippedLabel } from './labels';
export { daxVerdictOf, daxEraOf, daxIsHazard, DAX_RULES } from './dax-verdict';
export { daxGuard, daxHazards, daxHazardOf, daxHazardText, isDaxHazard } from './dax-guard';
export type { DaxGuardOptions, DaxHazard } from './dax-guard';
export type { DaxVerdict, DaxOutcome, DaxRange, DaxInput, DaxEra, DaxRule, FsDaxBehaviour } from './dax-verdict';

/** nd-infoblock library API: explicit named re-exports (STYLE.md #8). */
export { InfoblockError, TruncatedError, InvalidFieldError, InvalidArgumentError, IoError, isInfoblockError } from './format/errors';
export type { InfoblockErrorCode } from './format/errors';
export { fletcher64, blockChecksum, storedChecksum, verifyChecksum, withFreshChecksum, BLOCK_SIZE, CHECKSUM_OFFSET } from './format/fletcher64';
export {
  PFN_FIELDS,
  PFN_SIGNATURE,
  DAX_SIGNATURE,
  BTT_SIGNATURE,
  PFN_MODE,
  pfnCodec,
  decodePfnBlock,
  encodePfnBlock,
  patchPfnBlock,
  effectiveFields,
  signatureKind,
  signatureText,
} from './format/pfn';
export type { PfnFields, DecodedPfnBlock, EffectiveFields, SignatureKind, EncodeOptions } from './format/pfn';
export { BTT_FIELDS, bttCodec, decodeBttBlock, encodeBttBlock } from './format/btt';
export type { BttFields, DecodedBttBlock } from './format/btt';
export { KIND_SIZE, fieldSize } from './format/struct';
export type { FieldDef, FieldKind, FieldTable } from './format/struct';
export { findBlocks, headWithBlock, blockOfHead, HEAD_SIZE, INFOBLOCK_OFFSET } from './format/head';
export type { FoundBlock } from './format/head';
export { ndctlJson, readSummaryLine } from './format/ndctl-json';
export { describeBlock } from './format/describe';
export { recipeFields, checkAlign, DEFAULT_ALIGN } from './format/recipe';
export type { WriteParams, Meaning, NsMode, MapLocation } from './format/recipe';
export { parseSize, humanSize } from './format/units';
export { formatUuid, parseUuid, isUuid, randomUuid, NIL_UUID } from './format/uuid';
export { runCli } from './cli/index';
export type { CliIo } from './cli/index';
export { migrate, assertNoHazard, alignmentEvidence, dataStartOf, migrateTarget, restoreTarget, encodeBackup, decodeBackup, acquireLock, lockPathOf, defaultBackupPath, BACKUP_FORMAT } from './migrate/index';
export type { DataoffMeaning, MigrateOptions, MigrationReport, MigrationStatus, BackupRecord, MigrateTargetOptions, MigrateTargetResult, RestoreOptions, RestoreResult } from './migrate/index';
export { CorpusGenerator, generateCorpus, corpusTargets, verdictClass, writeCorpus, formatCoverage, messageKind, Prng, parseSeed, seedPool, FAMILIES as CORPUS_FAMILIES, CORPUS_FORMATS } from './corpus/index';
export type { CorpusInput, CorpusOptions, WriteCorpusOptions, Coverage, CorpusFormat, ManifestRow, Seed as CorpusSeed, Family as MutationFamily, Mutation } from './corpus/index';
export { checkHead, checkBlock, hazardsFor } from './validate/check';
export type { Verdict, CheckOptions, Hazard, Outcome, RuleReport } from './validate/check';
export { PROFILES, PROFILE_IDS, LEGACY_PROFILE_IDS, ARCHES, isProfileId } from './validate/profiles';
export type { ProfileId, Arch, ArchParams, KernelProfile } from './validate/profiles';
export type { Rule, RuleCtx, RuleOutcome } from './validate/rules';
export { explainLayout, layoutAscii, layoutSvg } from './validate/explain';
export type { Region } from './validate/explain';
export { renderVerdict } from './validate/render';
export { toJson } from './format/json';
export { KernelHarnessError, prepareKernelAssets, bootImages, observationToVerdict, kernelCheck, kernelCheckDetailed, compareVerdicts, kernelDecidingMessage } from './kernel/index';
export type { KernelVerdict, KernelObservation, KernelCheckSpec, KernelCheckResult, BootOptions, BootImage } from './kernel/index';
export { scanTarget, scanBytes, findingJson, isPfnFinding, isBttFinding, isFsFinding } from './scan/index';
export type { ScanOptions, ScanResult, Finding, PfnFinding, BttFinding, FsFinding, ScanContext } from './scan/index';
export { planRecovery, scanLimit, writeRecoveredBlock } from './recover/index';
export type { RecoverOptions, RecoveryPlan, Candidate, RecoverWriteOptions, RecoverWriteResult } from './recover/index';

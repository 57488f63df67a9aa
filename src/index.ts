/**
 * nd-infoblock: codec, validator, migrator and fuzz-corpus generator for the
 * Linux NVDIMM pfn/dax info-block (4 KiB at offset 4096 of a namespace).
 *
 * The root re-exports the library layers by name. It never loads the command
 * line (commander, cli-progress) nor the QEMU harness: those live under the
 * `nd-infoblock/cli` and `nd-infoblock/kernel` subpaths. Each layer can also
 * be imported alone: `nd-infoblock/format`, `/validate`, `/migrate`, `/corpus`,
 * `/scan`, `/recover`.
 * @module nd-infoblock
 */
export {
  InfoblockError,
  TruncatedError,
  InvalidFieldError,
  InvalidArgumentError,
  IoError,
  isInfoblockError,
  fletcher64,
  blockChecksum,
  storedChecksum,
  verifyChecksum,
  withFreshChecksum,
  BLOCK_SIZE,
  CHECKSUM_OFFSET,
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
  BTT_FIELDS,
  bttCodec,
  decodeBttBlock,
  encodeBttBlock,
  KIND_SIZE,
  fieldSize,
  findBlocks,
  headWithBlock,
  blockOfHead,
  HEAD_SIZE,
  INFOBLOCK_OFFSET,
  ndctlJson,
  readSummaryLine,
  describeBlock,
  recipeFields,
  checkAlign,
  DEFAULT_ALIGN,
  parseSize,
  humanSize,
  formatUuid,
  parseUuid,
  isUuid,
  randomUuid,
  NIL_UUID,
  toJson,
} from './format/index';
export type {
  InfoblockErrorCode,
  PfnFields,
  DecodedPfnBlock,
  EffectiveFields,
  SignatureKind,
  EncodeOptions,
  BttFields,
  DecodedBttBlock,
  FieldDef,
  FieldKind,
  FieldTable,
  FoundBlock,
  WriteParams,
  Meaning,
  NsMode,
  MapLocation,
} from './format/index';
export { migrate, assertNoHazard, alignmentEvidence, dataStartOf, migrateTarget, restoreTarget, replaceInfoBlock, encodeBackup, decodeBackup, acquireLock, lockPathOf, defaultBackupPath, backupStateDir, BACKUP_FORMAT } from './migrate/index';
export type { DataoffMeaning, MigrateOptions, MigrationReport, MigrationStatus, BackupRecord, MigrateTargetOptions, MigrateTargetResult, RestoreOptions, RestoreResult, ReplaceInfoBlockOptions, ReplaceInfoBlockResult, ReplaceContext, Faults, FaultStep } from './migrate/index';
export { CorpusGenerator, generateCorpus, corpusTargets, verdictClass, writeCorpus, formatCoverage, messageKind, Prng, parseSeed, seedPool, FAMILIES as CORPUS_FAMILIES, CORPUS_FORMATS } from './corpus/index';
export type { CorpusInput, CorpusOptions, WriteCorpusOptions, Coverage, CorpusFormat, ManifestRow, Seed as CorpusSeed, Family as MutationFamily, Mutation } from './corpus/index';
export {
  checkHead,
  checkBlock,
  hazardsFor,
  PROFILES,
  PROFILE_IDS,
  LEGACY_PROFILE_IDS,
  ARCHES,
  ARCH_NAMES,
  isProfileId,
  isKernelSpec,
  profileForKernel,
  profileOf,
  archParams,
  RULE_TABLE,
  eraOf,
  ruleEntry,
  validationFailureRefuses,
  probeFailureLine,
  resolveKernel,
  resolveKernels,
  KNOWN_SERIES,
  BOOTED_KERNELS,
  NEWEST_KERNEL,
  OLDEST_KERNEL,
  KERNEL_FORMS,
  checkKernels,
  geometryOf,
  gateFields,
  kernelAlign,
  dataStartFor,
  ndctlOffsetEvidence,
  memmapFits,
  explainLayout,
} from './validate/index';
export type {
  Verdict,
  CheckOptions,
  Hazard,
  Outcome,
  RuleReport,
  ProfileId,
  Arch,
  ArchParams,
  KernelProfile,
  ProfileRule,
  Era,
  Predicate,
  RuleCtx,
  RuleOutcome,
  RuleEntry,
  Stage,
  ResolvedKernel,
  KernelHazard,
  KernelsReport,
  Geometry,
  GeometryInput,
  Reader,
  Region,
} from './validate/index';
export { scanTarget, scanBytes, findingJson, isPfnFinding, isBttFinding, isFsFinding } from './scan/index';
export type { ScanOptions, ScanResult, Finding, PfnFinding, BttFinding, FsFinding, ScanContext } from './scan/index';
export { planRecovery, scanLimit, writeRecoveredBlock } from './recover/index';
export type { RecoverOptions, RecoveryPlan, Candidate, RecoverWriteOptions, RecoverWriteResult } from './recover/index';
// Labelled namespaces: the label storage area codec and the per-namespace validator.
export {
  decodeLabelArea,
  encodeLabelArea,
  labelGeometry,
  interleaveSetCookie,
  qemuDimm,
  dimmLayout,
  parseNamespaceSpecs,
} from './format/index';
export type { DecodedArea, LabelVersion, NamespaceSpec } from './format/index';
export { checkLabelledDimm } from './validate/index';
export type { LabelledCheck, LabelledNamespaceVerdict } from './validate/index';

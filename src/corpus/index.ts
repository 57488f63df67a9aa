/** The fuzz-corpus generator: deterministic, checksum-correct inputs aimed at every kernel rule. */
export { Prng, parseSeed } from './prng';
export { seedPool, SEED_SIZES, SEED_BASES, SEED_ALIGNS } from './seeds';
export type { Seed, SeedParams } from './seeds';
export { FAMILIES } from './mutations';
export type { Family, Mutation, MutationCtx, Target } from './mutations';
export {
  CorpusGenerator,
  corpusTargets,
  generateCorpus,
  verdictClass,
  isOfClass,
  unaimedHazard,
  ONLY_CLASSES,
  HAZARD_TARGETS,
} from './generate';
export type { CorpusInput, CorpusOptions } from './generate';
export {
  writeCorpus,
  formatCoverage,
  messageKind,
  inputFileName,
  inputBytes,
  manifestRow,
  manifestRowText,
  addToCoverage,
  emptyCoverage,
  CORPUS_FORMATS,
} from './write-corpus';
export type { Coverage, CorpusFilter, CorpusFormat, ManifestRow, WriteCorpusOptions } from './write-corpus';

/** The scan concept: streaming structure scanner, its recognisers and its report shapes. */
export { scanTarget, scanBytes, DEFAULT_CHUNK, MAX_CHUNK } from './scan';
export type { ScanOptions, ScanResult } from './scan';
export {
  infoBlockAt,
  extAt,
  xfsAt,
  btrfsAt,
  isPfnFinding,
  isBttFinding,
  isFsFinding,
  relativeTo,
  MAX_STRUCT,
} from './detect';
export type { Finding, PfnFinding, BttFinding, FsFinding } from './detect';
export { assessPfn, findingView, verdictView, findingLine, findingLines } from './report';
export type { ScanContext, PfnAssessment, VerdictView } from './report';

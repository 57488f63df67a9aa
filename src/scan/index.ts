/** The scan concept: streaming structure scanner, its recognisers and its report shapes. */
export { scanTarget, scanBytes, DEFAULT_CHUNK, MAX_CHUNK } from './scan';
export type { ScanOptions, ScanBytesOptions, ScanResult } from './scan';
export {
  infoBlockAt,
  extAt,
  xfsAt,
  btrfsAt,
  mbrAt,
  gptAt,
  isPfnFinding,
  isBttFinding,
  isFsFinding,
  isPartitionFinding,
  relativeTo,
  MAX_STRUCT,
} from './detect';
export type { Finding, PfnFinding, BttFinding, FsFinding, PartitionFinding, Partition } from './detect';
export { assessPfn, findingView, verdictView, findingLine, findingLines } from './report';
export type { ScanContext, PfnAssessment, VerdictView } from './report';
/** Read only the 8 KiB head of an image or device (the I/O layer's; served here beside scanTarget). */
export { readHead, readHeadAsync } from '../io/read-head';

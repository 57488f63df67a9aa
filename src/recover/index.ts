/** The recover concept: the pure planner and the crash-safe write of its block. */
export { planRecovery, scanLimit, MIN_NAMESPACE } from './plan';
export type { RecoverOptions, RecoveryPlan, Candidate, Rejected } from './plan';
export { writeRecoveredBlock } from './write';
export type { RecoverWriteOptions, RecoverWriteResult } from './write';

/** The recover concept: the pure planner and the crash-safe write of its block. */
export { planRecovery, scanLimit, MIN_NAMESPACE } from './plan-recovery';
export type { RecoverOptions, RecoveryPlan, Candidate, Rejected } from './plan-recovery';
export { writeRecoveredBlock } from './write-recovered';
export type { RecoverWriteOptions, RecoverWriteResult } from './write-recovered';

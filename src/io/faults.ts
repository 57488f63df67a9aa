/**
 * Fault injection for the crash tests: the caller passes a hook, production
 * passes none. `at(step)` runs at each step of a durable write or a block
 * replacement (a test kills the process there); `tear()` may ask the block
 * write to stop after a number of bytes, as a power cut in mid-write would.
 */
export type FaultStep =
  | 'lock-temp-written'
  | 'lock-break'
  | 'after-lock'
  | 'after-read'
  | 'temp-written'
  | 'temp-synced'
  | 'after-rename'
  | 'after-backup'
  | 'after-block'
  | 'after-label'
  | 'mid-write'
  | 'after-write'
  | 'after-fsync'
  | 'after-verify'
  | 'before-release';

export const FAULT_STEPS: readonly FaultStep[] = [
  'lock-temp-written',
  'lock-break',
  'after-lock',
  'after-read',
  'temp-written',
  'temp-synced',
  'after-rename',
  'after-backup',
  'mid-write',
  'after-write',
  'after-fsync',
  'after-verify',
  'before-release',
];

/** The steps of a realignment of labelled namespaces (src/migrate/realign.ts), in order. */
export const REALIGN_STEPS: readonly FaultStep[] = [
  'lock-temp-written',
  'after-lock',
  'after-read',
  'temp-written',
  'temp-synced',
  'after-rename',
  'after-backup',
  'after-block',
  'after-label',
  'mid-write',
  'after-write',
  'after-fsync',
  'after-verify',
  'before-release',
];

export interface Faults {
  at(step: FaultStep): void;
  /** Bytes of the 4 KiB block to write before stopping at 'mid-write' (undefined: write it whole). */
  tear?(): number | undefined;
}

export const noFaults: Faults = { at: () => undefined };

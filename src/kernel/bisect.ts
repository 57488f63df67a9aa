/**
 * Crash bisection and the boot pool. A boot whose guest kernel crashes shows
 * no report, so nothing is known about any of its images: the set is split in
 * halves and each half booted again, until the crashing image boots alone.
 * Images the caller predicts to crash are planned alone up front (plan.ts),
 * which makes bisection the exception.
 */

/** What one boot of a set of items gave: a report, or the console lines of a kernel crash. */
export type BootOutcome<R> = { report: R; crash: null } | { report: null; crash: string[] };

export interface BisectHooks<T, R> {
  /** Boot these items once (fresh state each time). */
  boot(items: readonly T[]): Promise<BootOutcome<R>>;
  /** The items booted without a crash: record what the report shows. */
  reported(items: readonly T[], report: R): void;
  /** The kernel crashed with this item alone. */
  crashed(item: T, crash: string[]): void;
  /** A crashed boot of `count` items is about to be split in two. */
  splitting?(count: number, crash: string[]): void;
}

/** Boot `items`; on a crash, boot halves recursively until every item is reported or crashed alone. */
export async function bootBisecting<T, R>(items: readonly T[], hooks: BisectHooks<T, R>): Promise<void> {
  if (items.length === 0) return;
  const out = await hooks.boot(items);
  if (out.crash === null) {
    hooks.reported(items, out.report);
    return;
  }
  const first = items[0];
  if (items.length === 1 && first !== undefined) {
    hooks.crashed(first, out.crash);
    return;
  }
  hooks.splitting?.(items.length, out.crash);
  const half = Math.ceil(items.length / 2);
  await bootBisecting(items.slice(0, half), hooks);
  await bootBisecting(items.slice(half), hooks);
}

/**
 * Run `task` on every job with at most `width` running at once, in job
 * order. After a failure no new job starts; the first error is rethrown once
 * the running ones have finished.
 */
export async function runPool<J>(jobs: readonly J[], width: number, task: (job: J) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < jobs.length) {
      const job = jobs[next++] as J;
      try {
        await task(job);
      } catch (e: unknown) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, jobs.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

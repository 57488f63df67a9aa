/**
 * The offline validator: what a kernel does with a namespace head
 * (src/validate/head-verdict.ts: the profile's rules in order, stopping at
 * the first that fails with effect), and which hazards other kernels pose
 * (src/validate/hazards.ts).
 */
import { headVerdict, type CheckOptions, type Verdict } from './head-verdict';
import { hazardsFor } from './hazards';
import { expectBytes, expectFields } from '../format/guard';

export { checkBlock, expectNamespace } from './head-verdict';
export type { CheckOptions, Hazard, HazardFix, Outcome, RuleReport, Verdict } from './head-verdict';
export { hazardsFor } from './hazards';

/**
 * A kernel's verdict on the 8 KiB head of a namespace, with the hazards other kernels pose. `toJson`
 * (src/format/json.ts) gives the verdict's snake_case JSON.
 */
export function checkHead(head: Uint8Array, o: CheckOptions): Verdict {
  expectBytes(head, 'head');
  expectFields(o, 'o', { nsSize: 'bigint' });
  const { verdict, block } = headVerdict(head, o);
  if (block !== null && o.hazards !== false) verdict.hazards = hazardsFor(block, verdict, o);
  return verdict;
}

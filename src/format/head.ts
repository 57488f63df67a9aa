/**
 * The 8 KiB namespace head ndctl reads and writes: 4 KiB that may hold a
 * BTT's second info-block copy, then the info-block at 4096. Blocks are
 * looked for in ndctl's order: BTT at 4096, BTT at 0, PFN at 4096, DAX at 4096.
 */
import { decodeBttBlock, type DecodedBttBlock } from './btt';
import { BLOCK_SIZE } from './fletcher64';
import { BTT_SIGNATURE, DAX_SIGNATURE, PFN_SIGNATURE, decodePfnBlock, sameBytes, type DecodedPfnBlock } from './pfn';
import { expectBytesOf } from './guard';

/** The namespace head read and written: 8 KiB (4 KiB before the info-block, then the block). */
export const HEAD_SIZE = 8192;
/** Where the pfn/dax info-block sits inside a namespace. */
export const INFOBLOCK_OFFSET = 4096;

/** An info-block found in a head: its kind, offset, checksum status and decoded content. */
export type FoundBlock =
  | { kind: 'btt'; offset: 0 | 4096; checksumValid: boolean; btt: DecodedBttBlock }
  | { kind: 'pfn' | 'dax'; offset: 4096; checksumValid: boolean; pfn: DecodedPfnBlock };

const at = (head: Uint8Array, offset: number): Uint8Array => head.subarray(offset, offset + BLOCK_SIZE);

function hasSignature(block: Uint8Array, sig: Uint8Array): boolean {
  return sameBytes(block.subarray(0, 16), sig);
}

/** All info-blocks in an 8 KiB head, in ndctl's order. */
export function findBlocks(head: Uint8Array): FoundBlock[] {
  expectBytesOf(head, 'head', HEAD_SIZE, 'a namespace head');
  const found: FoundBlock[] = [];
  for (const offset of [INFOBLOCK_OFFSET, 0] as const) {
    const b = at(head, offset);
    if (hasSignature(b, BTT_SIGNATURE)) {
      const btt = decodeBttBlock(b);
      found.push({ kind: 'btt', offset, checksumValid: btt.checksumValid, btt });
    }
  }
  const b = at(head, INFOBLOCK_OFFSET);
  for (const [kind, sig] of [
    ['pfn', PFN_SIGNATURE],
    ['dax', DAX_SIGNATURE],
  ] as const) {
    if (hasSignature(b, sig)) {
      const pfn = decodePfnBlock(b);
      found.push({ kind, offset: INFOBLOCK_OFFSET, checksumValid: pfn.checksumValid, pfn });
    }
  }
  return found;
}

/** The 8 KiB head ndctl writes: 4 KiB of zeros, then `block`. */
export function headWithBlock(block: Uint8Array): Uint8Array {
  expectBytesOf(block, 'block', BLOCK_SIZE, 'an info-block');
  const head = new Uint8Array(HEAD_SIZE);
  head.set(block.subarray(0, BLOCK_SIZE), INFOBLOCK_OFFSET);
  return head;
}

/** The info-block of a head (a view, not a copy). */
export function blockOfHead(head: Uint8Array): Uint8Array {
  expectBytesOf(head, 'head', HEAD_SIZE, 'a namespace head');
  return at(head, INFOBLOCK_OFFSET);
}

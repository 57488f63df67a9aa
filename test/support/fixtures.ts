// Field sets for tests that need a whole block: one place, overridable.
import type { BttFields } from '../../src/format/btt';
import type { PfnFields } from '../../src/format/pfn';

export const FIXTURE_UUID = '11111111-2222-3333-4444-555555555555';
export const NIL = '00000000-0000-0000-0000-000000000000';

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A plausible fsdax 1.4 block's fields (checksum 0: encoders compute it). */
export function pfnFields(over: Partial<PfnFields> = {}): PfnFields {
  return {
    signature: latin1('NVDIMM_PFN_INFO\0'),
    uuid: FIXTURE_UUID,
    parentUuid: NIL,
    flags: 0,
    versionMajor: 1,
    versionMinor: 4,
    dataoff: 0x200000n,
    npfns: 15872n,
    mode: 2,
    startPad: 0n,
    endTrunc: 0n,
    align: 0x200000n,
    pageSize: 4096n,
    pageStructSize: 64n,
    checksum: 0n,
    ...over,
  };
}

/** A plausible single-arena BTT block's fields. */
export function bttFields(over: Partial<BttFields> = {}): BttFields {
  return {
    signature: latin1('BTT_ARENA_INFO\0\0'),
    uuid: '33333333-3333-3333-3333-333333333333',
    parentUuid: NIL,
    flags: 0,
    versionMajor: 2,
    versionMinor: 0,
    externalLbasize: 4096n,
    externalNlba: 1000,
    internalLbasize: 4096n,
    internalNlba: 1256,
    nfree: 256,
    infosize: 4096n,
    nextoff: 0n,
    dataoff: 4096n,
    mapoff: 0x1000000n,
    logoff: 0x1100000n,
    info2off: 0x1200000n,
    checksum: 0n,
    ...over,
  };
}

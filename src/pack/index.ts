/**
 * DAX-ready VM images: a filesystem image packed into an NVDIMM image (the
 * info-block, the filesystem at the data start, sparse, sized for QEMU) and
 * unpacked again, Kata Containers' dual layout, the QEMU options that boot
 * it, and proof on booted kernels.
 */
export { packImage, unpackImage, kataViewOf, PACK_KERNELS } from './pack';
export type { PackOptions, PackResult, PackKernel, UnpackOptions, UnpackResult } from './pack';
export { planPack, labelAreaOf, alignmentInForce, nearestGoodBase, DEFAULT_NS_BASE, MIN_NS_BASE } from './layout';
export type { PackParams, PackPlan, MapPlace, PackLayoutKind } from './layout';
export { qemuOptionsFor, guestUseOf, qemuSize, shellQuote } from './qemu-options';
export type { QemuOptions, GuestUse } from './qemu-options';
export { sniffFilesystem, mountType, SNIFF_BYTES, DAX_PAGE_SIZE } from '../format/filesystem';
export type { FilesystemInfo, FilesystemKind, DaxObstacle } from '../format/filesystem';
export { kataLayoutOf, decodeMbr, encodeMbr, KATA_HEADER_SIZE, KATA_PARTITION_START, KATA_ROUND } from '../format/kata';
export type { KataLayout, MbrPartition } from '../format/kata';
export { verifyPacked, verifyPackedImages, judgeObservation } from './verify';
export type { PackVerification, PackedImage } from './verify';

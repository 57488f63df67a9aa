/** Public surface of the real-kernel harness (src/kernel). */
export { KernelHarnessError, type KernelHarnessErrorCode } from './errors';
export { prepareKernelAssets, cacheDir, REQUIRED_MODULES, type KernelAssets, type AssetOptions } from './assets';
export {
  bootImages,
  planBoots,
  type BootImage,
  type BootOptions,
  type KernelObservation,
  type ClaimObservation,
  type KernelMessage,
} from './harness';
export { observationToVerdict, type KernelVerdict } from './verdict';
export { kernelCheck, kernelCheckDetailed, type KernelCheckSpec, type KernelCheckResult } from './kernel-check';
export { parseAddress, parseImageSpec } from './format';
export { compareVerdicts, kernelDecidingMessage } from './compare';
export { KERNEL_VERSIONS, DEFAULT_KERNEL, KERNEL_PACKAGES, parseKernelVersion, type KernelVersion } from './kernels';

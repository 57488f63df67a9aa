/** Public surface of the real-kernel harness (src/kernel). */
export { KernelHarnessError, type KernelHarnessErrorCode } from './errors';
export { prepareKernelAssets, type KernelAssets, type AssetOptions } from './assets';
export { cacheDir } from './cache';
export { REQUIRED_MODULES } from './modules';
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
export {
  kernelCheck,
  kernelCheckDetailed,
  labelledVerdicts,
  type KernelCheckSpec,
  type KernelCheckResult,
  type LabelledNamespaceVerdict,
} from './kernel-check';
export { parseAddress, parseImageSpec } from './format';
export { compareVerdicts, kernelDecidingMessage, type PredictedVerdict } from './compare';
export {
  parseManifest,
  readManifest,
  placedPrediction,
  manifestSpecs,
  compareManifest,
  bootManifest,
  type ManifestPrediction,
  type ManifestComparison,
  type Placement,
} from './manifest';
export { KERNEL_VERSIONS, DEFAULT_KERNEL, KERNEL_PACKAGES, parseKernelVersion, type KernelVersion } from './kernels';

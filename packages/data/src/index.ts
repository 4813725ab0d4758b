// IDX format
export { readIdx, readFileBytes } from './read-idx.ts';
export type { ReadIdxOptions } from './read-idx.ts';
export { encodeIdx } from './encode-idx.ts';
export { IDX_DTYPES } from './idx-format.ts';
export type { IdxArray, IdxDataMap, IdxDtype } from './idx-format.ts';
export { gzipDeterministic, isGzip } from './gzip.ts';
export { sha256Hex } from './sha256.ts';

// Data sets
export { takeSamples, classCounts, indicesByClass, numClasses, imageSize } from './dataset.ts';
export type { ImageDataset } from './dataset.ts';
export {
  loadFashionMnist,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_IMAGE_SIZE,
  BUNDLED_FASHION_MNIST_DIR,
} from './fashion-mnist.ts';
export type { FashionMnist, FashionMnistSplit, LoadFashionMnistOptions } from './fashion-mnist.ts';
export {
  parseSubsetManifest,
  serializeSubsetManifest,
  subsetManifestSchema,
  SUBSET_MANIFEST_FILE,
  SUBSET_MANIFEST_VERSION,
} from './subset-manifest.ts';
export type { SubsetManifest } from './subset-manifest.ts';

// Bring-your-own data: image folders, IDX folders, CIFAR-10 binary, one entry point
export { loadDataset, detectDataFormat, DATA_FORMATS } from './load-dataset.ts';
export type { DataFormat, ResolvedDataFormat, LoadDatasetOptions, LoadedDataset, SplitOrigin } from './load-dataset.ts';
export { listImageFolder, decodeImageFolder, isJunkFile, FOLDER_SPLITS } from './image-folder.ts';
export type { FolderListing, FolderFile, FolderSplitName, DecodeFolderOptions, DecodeProgress } from './image-folder.ts';
export { decodeImage, grayToRgb, IMAGE_EXTENSIONS } from './image-decode.ts';
export type { DecodedImage } from './image-decode.ts';
export { resizeBilinear } from './resize.ts';
export { loadIdxFolder, looksLikeIdxFolder } from './idx-folder.ts';
export type { IdxFolderData } from './idx-folder.ts';
export { loadCifar10, readCifar10Batches, findCifar10Dir, CIFAR10_CLASSES, CIFAR10_RECORD_BYTES } from './cifar10.ts';
export { dataCacheKey, defaultDataCacheDir, readDataCache, writeDataCache, DATA_CACHE_VERSION } from './data-cache.ts';

// Splits
export {
  stratifiedPartition,
  splitDataset,
  splitTrainVal,
  selectClassBalanced,
  FBNET_WEIGHTS_THETA_FRACTIONS,
} from './stratified-split.ts';

// Batching and normalisation
export { BatchIterator } from './batch-iterator.ts';
export type { Batch, BatchIteratorOptions } from './batch-iterator.ts';
export { parseBatchPosition, batchPositionSchema } from './batch-position.ts';
export type { BatchPosition } from './batch-position.ts';
export {
  computeMeanStd,
  computeChannelMeanStd,
  normalizePixels,
  pixelTable,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  FASHION_MNIST_NORMALIZATION,
} from './normalization.ts';
export type { MeanStd, Normalization } from './normalization.ts';

// Augmentation
export type { NhwcShape } from './nhwc.ts';
export { randomCrop } from './random-crop.ts';
export type { RandomCropOptions } from './random-crop.ts';
export { randomHorizontalFlip } from './horizontal-flip.ts';
export { mixup } from './mixup.ts';
export type { MixupResult } from './mixup.ts';
export { sampleBeta, sampleGamma } from './beta.ts';
export type { StageData } from './stage-data.ts';

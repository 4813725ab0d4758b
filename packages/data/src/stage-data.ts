import type { ImageDataset } from './dataset.ts';

/**
 * The data set a stage runs on (`StageContext<StageData>`): the training split, optional
 * validation and test splits, the per-channel input normalisation computed from the training
 * split, and where it came from. Searches split `train` further (FBNet: 80% weights, 20% θ).
 */
export interface StageData {
  train: ImageDataset;
  val?: ImageDataset;
  test?: ImageDataset;
  normalization: { mean: number[]; std: number[] };
  /** `fashion-mnist`, or the path of the user's data set. */
  source: string;
}

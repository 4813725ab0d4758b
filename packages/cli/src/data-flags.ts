import { flag } from './flags.ts';

/**
 * `--data <path>` and `--data-format`: a user's own data set instead of the bundled
 * Fashion-MNIST. Kept free of `@fbnet/data` so parsing a command line stays light; the names
 * match `DATA_FORMATS` of `@fbnet/data` (a test holds them equal).
 */
export const DATA_FORMAT_NAMES = ['auto', 'folder', 'idx', 'cifar10', 'fashion-mnist'] as const;

export const DATA_FLAGS = {
  data: flag.path(),
  'data-format': flag.oneOf(DATA_FORMAT_NAMES),
};

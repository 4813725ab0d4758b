import { FbnetError, type ArchDef } from '@fbnet/core';
import { detectDataFormat, listImageFolder, loadDataset, type DataFormat, type LoadedDataset } from '@fbnet/data';
import { progressBar, type Output } from './output.ts';

/** A user data set as a run records it (config.json), so `--resume` reloads the same data. */
export interface UserDataSource {
  path: string;
  format: DataFormat;
  /** search v1 `--data-size`: square side images are resized to (default: their own size). `fbnet train` uses the arch's input_size. */
  size?: number;
}

/**
 * Load `--data` for an arch def: images resized to the arch's input_size, and the arch's
 * input_channels and num_classes checked against the data with a usage error that says what to
 * change. Decoding shows a progress bar; the second run reads the decoded-image cache.
 */
export function loadUserData(src: UserDataSource, arch: ArchDef, archPath: string, seed: number, out: Output): LoadedDataset {
  const t0 = Date.now();
  const data = loadDataset(src.path, {
    format: src.format,
    size: arch.input_size,
    seed,
    valFraction: 0.1,
    onProgress: (done, total) => {
      const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
      out.progress(progressBar('decoding images', done, total, (total - done) / rate));
    },
  });
  out.endProgress();
  checkArchFitsData(arch, archPath, data);
  const cached = data.fromCache ? `, decoded images read from ${data.cacheFile}` : '';
  const shape = `${data.height}x${data.width}x${data.channels}`;
  const splits = `train ${data.train.count}, val ${data.val.count} (${data.origin.val}), test ${data.test.count} (${data.origin.test})`;
  out.info(`data ${src.path}: ${data.format}, ${data.classNames.length} classes, ${shape}; ${splits}${cached}`);
  return data;
}

/**
 * The cheap checks of `--data` (the path exists, its format is known, an image folder's layout
 * and file names are sound), run before a run directory is created; decoding comes later.
 */
export function checkUserData(src: UserDataSource): void {
  const format = src.format === 'auto' ? detectDataFormat(src.path) : src.format;
  if (format === 'folder') listImageFolder(src.path);
}

export function checkArchFitsData(arch: ArchDef, archPath: string, data: LoadedDataset): void {
  if (arch.input_channels !== data.channels) {
    const kind = data.channels === 1 ? 'grayscale (1 channel)' : `${data.channels}-channel`;
    throw new FbnetError(
      'USAGE',
      `${archPath}: input_channels is ${arch.input_channels}, but ${data.path} holds ${kind} images; set "input_channels": ${data.channels}`,
    );
  }
  if (arch.num_classes !== data.classNames.length) {
    const names = data.classNames.length <= 10 ? ` (${data.classNames.join(', ')})` : '';
    throw new FbnetError(
      'USAGE',
      `${archPath}: num_classes is ${arch.num_classes}, but ${data.path} has ${data.classNames.length} classes${names}; ` +
        `set "num_classes": ${data.classNames.length}`,
    );
  }
}

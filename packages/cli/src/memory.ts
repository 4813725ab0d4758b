import * as tf from '@tensorflow/tfjs-core';

export interface MemoryPeak {
  /** Largest resident set size seen, MiB. */
  peakRssMiB: number;
  /** Largest TF.js tensor memory seen, MiB, and tensor count at that moment. */
  peakTensorMiB: number;
  peakTensors: number;
}

/** Samples process RSS and TF.js memory every `ms` until stopped; the peak goes into run results. */
export function trackMemory(ms = 500): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { peakRssMiB: 0, peakTensorMiB: 0, peakTensors: 0 };
  const sample = () => {
    peak.peakRssMiB = Math.max(peak.peakRssMiB, process.memoryUsage().rss / 2 ** 20);
    const m = tf.memory();
    if (m.numBytes / 2 ** 20 > peak.peakTensorMiB) {
      peak.peakTensorMiB = m.numBytes / 2 ** 20;
      peak.peakTensors = m.numTensors;
    }
  };
  sample();
  const timer = setInterval(sample, ms);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRssMiB: Math.round(peak.peakRssMiB), peakTensorMiB: Math.round(peak.peakTensorMiB * 10) / 10, peakTensors: peak.peakTensors };
    },
  };
}

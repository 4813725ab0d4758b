// Loads a 2-thread pool, runs a kernel, and never calls dispose(): the process must still exit
// (lifecycle test in heap.test.ts).
import { loadNativeKernels } from '../../src/index.ts';

const k = await loadNativeKernels({ threads: 2 });
const y = k.add(new Float32Array(300000).fill(1), new Float32Array(300000).fill(2));
process.stdout.write(`ok ${y[299999]}\n`);

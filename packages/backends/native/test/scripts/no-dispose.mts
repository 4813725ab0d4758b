// Loads a 2-thread pool and runs a kernel. Without arguments it never calls dispose(): the
// process must still exit. With `dispose` it awaits dispose() and then prints, so the event
// loop must stay alive through shutdown. (Lifecycle tests in heap.test.ts.)
import { loadNativeKernels } from '../../src/index.ts';

const k = await loadNativeKernels({ threads: 2 });
const y = k.add(new Float32Array(300000).fill(1), new Float32Array(300000).fill(2));
process.stdout.write(`ok ${y[299999]}\n`);
if (process.argv[2] === 'dispose') {
  await k.dispose();
  process.stdout.write('disposed\n');
}

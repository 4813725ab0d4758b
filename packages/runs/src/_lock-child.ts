/** Test helper: holds a run's lock in a separate process, driven by lines on stdin. */
import { createInterface } from 'node:readline';
import { RunDir } from './run-dir.ts';

const run = RunDir.open(process.argv[2]);
process.stdout.write(`locked ${process.pid}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'close') {
    run.close();
    process.stdout.write('released\n');
  } else if (line === 'exit') process.exit(0);
});

// A candidate worker for benchmarks/v3-redis.ts: the cpu backend plugin, then runWorker (what `fbnet worker` does).
import { runWorker } from '@fbnet/autotrain';
import { initBackend } from './v3-common.ts';

await initBackend();
const h = await runWorker({ connection: process.env.REDIS_URL!, queueName: process.env.QUEUE, name: process.env.WORKER_NAME });
h.events$.subscribe((e) => process.stdout.write(JSON.stringify(e) + '\n'));
process.stdout.write(JSON.stringify({ type: 'child/ready' }) + '\n');
process.on('SIGTERM', () => void h.close().then(() => process.exit(0)));

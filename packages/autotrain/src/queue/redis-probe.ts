import { Redis } from 'ioredis';
import { FbnetError } from '@fbnet/core';
import { parseRedisConnection, type RedisConnection } from './redis-connection.ts';

export interface RedisProbeOptions {
  /** Per attempt: TCP connect plus PING (default 2000 ms). */
  timeoutMs?: number;
  /** Attempts before giving up (default 3). */
  attempts?: number;
  /** Pause between attempts (default 500 ms). */
  retryDelayMs?: number;
}

/** The URL as a user wrote it (password hidden), or one built from the options. */
export function redisUrlForDisplay(c: string | RedisConnection): string {
  if (typeof c === 'string') return c.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return `redis://${c.host}:${c.port}${c.db ? `/${c.db}` : ''}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function attempt(conn: RedisConnection, timeoutMs: number): Promise<void> {
  const client = new Redis({
    ...conn,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // One connection per attempt: the retry policy is ours (bounded), not ioredis' (forever).
    retryStrategy: () => null,
  });
  // Errors are reported through the rejected promise; without a listener ioredis prints
  // "[ioredis] Unhandled error event" for each one.
  // The socket's error (ECONNREFUSED, ETIMEDOUT, ...) says more than the "Connection is closed." connect() rejects with.
  let cause: unknown;
  client.on('error', (e: unknown) => (cause ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw cause ?? e;
  } finally {
    client.disconnect();
  }
}

/**
 * Check that Redis answers before BullMQ and ioredis are let loose on it (they reconnect
 * forever, and a dead address would hang a worker or a search with no word). Bounded:
 * `attempts` tries of at most `timeoutMs` each; then QUEUE_UNREACHABLE naming the URL.
 */
export async function probeRedis(connection: string | RedisConnection, o: RedisProbeOptions = {}): Promise<void> {
  const conn = parseRedisConnection(connection);
  const attempts = Math.max(1, o.attempts ?? 3);
  const timeoutMs = o.timeoutMs ?? 2000;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(o.retryDelayMs ?? 500);
    try {
      await attempt(conn, timeoutMs);
      return;
    } catch (e) {
      last = e;
    }
  }
  const why = (last as NodeJS.ErrnoException | undefined)?.code ?? (last as Error | undefined)?.message ?? 'no answer';
  throw new FbnetError(
    'QUEUE_UNREACHABLE',
    `cannot reach Redis at ${redisUrlForDisplay(connection)} (${why}; ${attempts} attempt(s), ${timeoutMs} ms each); is redis-server running there?`,
    { cause: last },
  );
}

import { FbnetError } from '@fbnet/core';

/** Redis connection options as ioredis/BullMQ take them. */
export interface RedisConnection {
  host: string;
  port: number;
  password?: string;
  username?: string;
  db?: number;
}

/** `redis://[user:password@]host[:port][/db]` or an options object. */
export function parseRedisConnection(c: string | RedisConnection): RedisConnection {
  if (typeof c !== 'string') return c;
  let u: URL;
  try {
    u = new URL(c);
  } catch {
    throw new FbnetError('USAGE', `not a Redis URL: "${c}" (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:') throw new FbnetError('USAGE', `not a Redis URL: "${c}" (expected redis://host:port)`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new FbnetError('USAGE', `Redis URL "${c}": database must be a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/** Where results live in Redis: one hash per queue, field = job id (HSETNX: first result wins). */
export const resultsKey = (queueName: string) => `fbnet:${queueName}:results`;

export const DEFAULT_QUEUE_NAME = 'fbnet-v3-candidates';

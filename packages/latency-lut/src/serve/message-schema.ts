import { z } from 'zod';
import { formatZodIssues } from '@fbnet/core';
import type { BrowserMessage } from './job.ts';

const backend = z.string().max(40);
const text = z.string().max(4000);
const count = z.number().int().nonnegative();
const eta = z.number().finite().nonnegative().optional();

/** A page's message, checked before anyone prints it (the server forwards them as events). */
const browserMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), userAgent: text, crossOriginIsolated: z.boolean() }).strict(),
  z.object({ type: z.literal('backend-started'), backend, total: count }).strict(),
  z
    .object({ type: z.literal('progress'), backend, done: count, total: count, key: z.string().max(1000), medianMs: z.number().finite(), etaSec: eta })
    .strict(),
  z.object({ type: z.literal('timing-round'), backend, done: count, total: count, fraction: z.number().min(0).max(1), etaSec: eta }).strict(),
  z.object({ type: z.literal('backend-skipped'), backend, reason: text }).strict(),
  z.object({ type: z.literal('backend-failed'), backend, error: text }).strict(),
  z.object({ type: z.literal('page-error'), message: text }).strict(),
  z.object({ type: z.literal('finished') }).strict(),
]);

/** The message, or the reason it is not one (naming the field). */
export function parseBrowserMessage(value: unknown): BrowserMessage | string {
  const r = browserMessageSchema.safeParse(value);
  return r.success ? (r.data as BrowserMessage) : `event: ${formatZodIssues(r.error)}`;
}

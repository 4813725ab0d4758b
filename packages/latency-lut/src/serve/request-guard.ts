import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** A refusal with the HTTP status that says why (403 origin, 405 method, 413 size, 415 type). */
export class HttpRefusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/** Body caps: a table of an ImageNet space is a few hundred KB; progress messages are tiny. */
export const MAX_TABLE_BODY = 32 * 1024 * 1024;
export const MAX_EVENT_BODY = 256 * 1024;

/**
 * Same-origin only. The server answers only to its own address — the Host header must name an
 * IP literal, `localhost` or the configured host (a DNS-rebinding page names its own domain) —
 * and a request a browser marks as coming from another page (`Origin` other than this server,
 * `Sec-Fetch-Site` other than same-origin/none) is refused. Clients that send neither
 * (curl, a script on this machine) are not web pages and are let through.
 */
export function checkOrigin(req: IncomingMessage, configuredHost: string, port: number): void {
  const host = req.headers.host;
  if (!host) throw new HttpRefusal(403, 'request without a Host header');
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  const name = m?.[1].replace(/^\[|\]$/g, '').toLowerCase();
  if (!m || !name || Number(m[2] ?? 80) !== port || !(isIP(name) || name === 'localhost' || name === configuredHost.toLowerCase())) {
    throw new HttpRefusal(403, `Host "${host}" is not this server`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw new HttpRefusal(403, `cross-origin request from ${origin} refused (this server accepts only its own page)`);
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpRefusal(403, `cross-site request (Sec-Fetch-Site: ${site}) refused`);
  }
}

/** POST bodies must be `application/json` (a cross-origin form or `text/plain` post cannot be). */
export function checkJsonBody(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpRefusal(415, `content-type must be application/json, got ${type ? `"${type}"` : 'none'}`);
  }
}

/** The body as text, refused with 413 as soon as it exceeds `max` bytes (declared or received). */
export function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(new HttpRefusal(413, `request body of ${declared} bytes is over the ${max}-byte cap`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      req.off('data', onData);
      reject(new HttpRefusal(413, `request body is over the ${max}-byte cap`));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

import type { LutStoredReply } from './job.ts';

/**
 * What the measurement page shows. The runner feeds it events — its own, and the server's
 * replies — and each event touches only the elements it changes (a measured entry is one
 * prepended table row), so the page costs the browser next to nothing while it times.
 * Plain DOM calls: the page is one bundled script, no framework.
 */
export type PageEvent =
  | { type: 'job'; backends: string[]; entries: number; source: string }
  | { type: 'browser'; userAgent: string; crossOriginIsolated: boolean; secureContext: boolean; cores: number }
  | { type: 'backend-started'; backend: string; total: number }
  | { type: 'entry-measured'; backend: string; done: number; total: number; key: string; medianMs: number }
  /** Share of the backend's timing work done, 0..1 (entries finish in bursts; rounds tick between). */
  | { type: 'timing-round'; backend: string; fraction: number }
  | { type: 'backend-skipped'; backend: string; reason: string }
  | { type: 'backend-failed'; backend: string; error: string }
  | { type: 'table-stored'; backend: string; entries: number; medianBlockMs: number; reply: LutStoredReply }
  | { type: 'warning'; message: string }
  /** `fatal`: the page stopped (nothing more will be measured). */
  | { type: 'error'; message: string; fatal?: boolean }
  | { type: 'finished' };

type BackendState = 'waiting' | 'measuring' | 'skipped' | 'failed' | 'stored';

interface Card {
  backend: string;
  state: BackendState;
  total: number;
  done: number;
  fraction: number;
  startedAt: number;
  endedAt?: number;
  detail?: string;
  stored?: Extract<PageEvent, { type: 'table-stored' }>;
  root: HTMLElement;
  badge: HTMLElement;
  bar: HTMLProgressElement;
  counts: HTMLElement;
  reason: HTMLElement;
  result: HTMLElement;
  details: HTMLDetailsElement;
  rowCount: HTMLElement;
  rows: HTMLTableSectionElement;
}

/** Seconds left, from the elapsed time and the share of the work done; undefined before any is done. */
export function etaSec(elapsedSec: number, fraction: number): number | undefined {
  if (!(fraction > 0)) return undefined;
  return fraction >= 1 ? 0 : (elapsedSec / fraction) * (1 - fraction);
}

export function formatSec(sec: number): string {
  if (sec < 1) return '<1 s';
  if (sec < 60) return `${Math.round(sec)} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} min ${String(Math.round(sec % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Three significant digits, no trailing zeros (0.05 ms, 1.23 ms, 412 ms). */
export function formatMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : Number(ms.toPrecision(3))} ms`;
}

const BADGE: Record<BackendState, string> = {
  waiting: 'waiting',
  measuring: 'measuring',
  skipped: 'unavailable',
  failed: 'failed',
  stored: 'done',
};

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class LutPageView {
  private readonly cards = new Map<string, Card>();
  private readonly status: HTMLElement;
  private readonly messages: HTMLElement;
  private readonly browser: HTMLElement;
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly warned = new Set<string>();
  private errors = 0;

  /** `now` in milliseconds (performance.now in the page; a fake clock in tests). */
  constructor(
    private readonly doc: Document,
    private readonly now: () => number = () => performance.now(),
  ) {
    const byId = (id: string) => {
      const e = doc.getElementById(id);
      if (!e) throw new Error(`the page has no #${id}`);
      return e;
    };
    this.status = byId('status');
    this.messages = byId('messages');
    this.browser = byId('browser');
    this.list = byId('backends');
    this.summary = byId('summary');
  }

  /** Seconds left on a backend being measured (what the runner reports to the server too). */
  eta(backend: string): number | undefined {
    const c = this.cards.get(backend);
    if (!c || c.state !== 'measuring') return undefined;
    return etaSec((this.now() - c.startedAt) / 1000, Math.max(c.fraction, c.total ? c.done / c.total : 0));
  }

  apply(e: PageEvent): void {
    switch (e.type) {
      case 'job':
        for (const b of e.backends) this.card(b);
        this.setStatus(`starting: ${e.entries} blocks of ${e.source} on ${e.backends.join(', ')}`);
        return;
      case 'browser':
        this.browser.textContent =
          `${e.userAgent} · ${e.cores || '?'} logical cores · ` +
          (e.crossOriginIsolated ? 'cross-origin isolated (threaded WASM possible)' : 'not cross-origin isolated (WASM runs on one thread)') +
          (e.secureContext ? '' : ' · not a secure context (http on a network address): no WebGPU, no threaded WASM');
        return;
      case 'backend-started': {
        const c = this.card(e.backend);
        Object.assign(c, { state: 'measuring', total: e.total, done: 0, fraction: 0, startedAt: this.now() });
        c.bar.max = e.total;
        c.bar.value = 0;
        c.details.open = true;
        this.refresh(c);
        return;
      }
      case 'entry-measured': {
        const c = this.card(e.backend);
        c.done = e.done;
        c.total = e.total;
        const tr = el(this.doc, 'tr');
        tr.append(el(this.doc, 'td', 'key', e.key), el(this.doc, 'td', 'ms', e.medianMs.toPrecision(3)));
        c.rows.prepend(tr);
        c.rowCount.textContent = String(c.rows.rows.length);
        this.refresh(c);
        return;
      }
      case 'timing-round': {
        const c = this.card(e.backend);
        c.fraction = e.fraction;
        this.refresh(c);
        return;
      }
      case 'backend-skipped':
        this.end(e.backend, 'skipped', e.reason);
        return;
      case 'backend-failed':
        this.end(e.backend, 'failed', e.error);
        this.error(`${e.backend}: ${e.error}`);
        return;
      case 'table-stored': {
        const c = this.end(e.backend, 'stored');
        c.stored = e;
        c.result.replaceChildren(...this.storedLines(e, c));
        c.result.hidden = false;
        c.details.open = false;
        return;
      }
      case 'warning':
        if (this.warned.has(e.message)) return;
        this.warned.add(e.message);
        this.messages.append(el(this.doc, 'p', 'warning', e.message));
        return;
      case 'error':
        this.error(e.message);
        if (e.fatal) {
          this.setStatus(`stopped by an error: ${e.message}`);
          this.status.className = 'error';
          this.doc.title = 'fbnet lut: error';
        }
        return;
      case 'finished':
        this.finish();
        return;
    }
  }

  private error(message: string): void {
    this.errors++;
    this.messages.append(el(this.doc, 'p', 'error', `error: ${message}`));
  }

  private card(backend: string): Card {
    const known = this.cards.get(backend);
    if (known) return known;
    const d = this.doc;
    const root = el(d, 'section', 'backend');
    root.id = `backend-${backend}`;
    root.dataset.backend = backend;
    const h2 = el(d, 'h2');
    const badge = el(d, 'span', 'badge');
    h2.append(el(d, 'span', 'name', backend), badge);
    const bar = el(d, 'progress');
    const counts = el(d, 'p', 'counts');
    const reason = el(d, 'p', 'reason');
    const result = el(d, 'div', 'result');
    result.hidden = true;
    const details = el(d, 'details', 'entries');
    const summary = el(d, 'summary', undefined, 'Measured blocks, newest first (');
    const rowCount = el(d, 'span', 'n', '0');
    summary.append(rowCount, ')');
    const table = el(d, 'table');
    const head = el(d, 'tr');
    head.append(el(d, 'th', 'key', 'block'), el(d, 'th', 'ms', 'median ms'));
    table.createTHead().append(head);
    const rows = table.createTBody();
    details.append(summary, table);
    root.append(h2, bar, counts, reason, result, details);
    this.list.append(root);
    const elements = { root, badge, bar, counts, reason, result, details, rowCount, rows };
    const c: Card = { backend, state: 'waiting', total: 0, done: 0, fraction: 0, startedAt: 0, ...elements };
    this.cards.set(backend, c);
    this.refresh(c);
    return c;
  }

  private end(backend: string, state: BackendState, detail?: string): Card {
    const c = this.card(backend);
    c.state = state;
    c.detail = detail;
    c.endedAt = this.now();
    this.refresh(c);
    return c;
  }

  /** The card's badge, bar, counts and reason line, and the page's status line and title. */
  private refresh(c: Card): void {
    c.root.dataset.state = c.state;
    c.badge.textContent = BADGE[c.state];
    c.bar.hidden = c.state === 'waiting' || c.state === 'skipped';
    c.bar.value = c.done;
    c.reason.hidden = !c.detail;
    c.details.hidden = c.rows.rows.length === 0;
    c.reason.textContent = c.detail ? `${c.state === 'skipped' ? 'unavailable in this browser' : 'failed'}: ${c.detail}` : '';
    c.counts.hidden = c.state === 'skipped';
    if (c.state === 'waiting') c.counts.textContent = 'waiting for its turn';
    else if (c.state !== 'skipped') {
      const elapsed = ((c.endedAt ?? this.now()) - c.startedAt) / 1000;
      const parts = [`${c.done} / ${c.total} blocks`];
      if (c.state === 'measuring') {
        const eta = this.eta(c.backend);
        parts.push(`${formatSec(elapsed)} elapsed`, eta === undefined ? 'ETA: estimating…' : `ETA ${formatSec(eta)}`);
        if (c.fraction > 0) parts.push(`${Math.floor(c.fraction * 100)}% of the timing rounds`);
        this.setStatus(`measuring ${c.backend}: ${c.done} / ${c.total}`);
        this.doc.title = `fbnet lut: ${c.backend} ${c.done}/${c.total}`;
      } else parts.push(`took ${formatSec(elapsed)}`);
      c.counts.textContent = parts.join(' · ');
    }
  }

  private storedLines(s: Extract<PageEvent, { type: 'table-stored' }>, c: Card): HTMLElement[] {
    const d = this.doc;
    const took = c.endedAt !== undefined ? `, measured in ${formatSec((c.endedAt - c.startedAt) / 1000)}` : '';
    const median = formatMs(s.medianBlockMs);
    const written = el(d, 'p', 'written', `${s.entries} entries, median block latency ${median}${took}. Written by the server to:`);
    const out: HTMLElement[] = [written, el(d, 'pre', 'path', s.reply.path)];
    if (s.reply.next) {
      out.push(el(d, 'p', undefined, 'Search with it (on the machine running fbnet lut serve):'), el(d, 'pre', 'command', s.reply.next.command));
      if (s.reply.next.note) out.push(el(d, 'p', 'note', s.reply.next.note));
    }
    return out;
  }

  private finish(): void {
    const d = this.doc;
    const cards = [...this.cards.values()];
    const stored = cards.filter((c) => c.stored);
    const items = cards.map((c) => {
      const li = el(d, 'li', c.state);
      li.dataset.backend = c.backend;
      const name = el(d, 'b', undefined, c.backend);
      const s = c.stored;
      if (s) li.append(name, `: ${s.entries} entries, median block ${formatMs(s.medianBlockMs)} → `, el(d, 'code', 'path', s.reply.path));
      else if (c.state === 'skipped') li.append(name, `: unavailable — ${c.detail}`);
      else if (c.state === 'failed') li.append(name, `: failed — ${c.detail}`);
      else li.append(name, ': not measured (the page stopped before it)');
      return li;
    });
    const list = el(d, 'ul');
    list.append(...items);
    const parts: HTMLElement[] = [el(d, 'h2', undefined, 'Summary'), list];
    if (stored.length) {
      parts.push(el(d, 'h3', undefined, stored.length > 1 ? 'Next step (one command per table)' : 'Next step'));
      const notes = new Set<string>();
      for (const c of stored) {
        const next = c.stored!.reply.next;
        if (!next) continue;
        const pre = el(d, 'pre', 'command', next.command);
        pre.dataset.backend = c.backend;
        parts.push(pre);
        if (next.note) notes.add(next.note);
      }
      for (const n of notes) parts.push(el(d, 'p', 'note', n));
    } else {
      parts.push(el(d, 'p', 'error', 'No table was written. Open the page in another browser, or serve backends this one has.'));
    }
    this.summary.replaceChildren(...parts);
    this.summary.hidden = false;
    // The summary above now holds each table's path and command: the cards keep their counts and entries.
    for (const c of cards) {
      c.details.open = false;
      c.result.hidden = true;
    }
    const skipped = cards.filter((c) => c.state === 'skipped').length;
    const failed = cards.filter((c) => c.state === 'failed').length;
    const tail = [
      `${stored.length} table${stored.length === 1 ? '' : 's'} written`,
      ...(skipped ? [`${skipped} backend${skipped === 1 ? '' : 's'} unavailable`] : []),
      ...(failed ? [`${failed} failed`] : []),
      ...(this.errors ? [`${this.errors} error${this.errors === 1 ? '' : 's'} (see above)`] : []),
    ];
    this.setStatus(`done: ${tail.join(', ')}`);
    this.doc.title = 'fbnet lut: done';
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
  }
}

import { archCost } from '@fbnet/shape-propagation';
import { details, escapeXml, facts, notice, pre, table, type Fact } from '@fbnet/html';
import { ok, type SectionBuilder } from './section.ts';
import { duration, ms, percent, siCount } from '../format.ts';
import { eventsOf, isNum, lastEventOf, memo, type RunData } from '../run/run-data.ts';
import { logSpanSeconds, stageSpans, supernetView, trainView } from '../run/views.ts';

/** A phase of a command and whether the run got through it. */
export interface Phase {
  name: string;
  state: 'done' | 'todo' | 'failed';
  detail?: string;
}

/** Phase states of a run: done, else failed when a `stage/error` names a stage matching `re`, else not reached. */
export function phaseStates(run: RunData): { failed(re: RegExp): boolean; state(done: boolean, re: RegExp): Phase['state'] } {
  const errors = new Set(eventsOf<{ stage?: string }>(run, 'stage/error').map((e) => e.stage ?? ''));
  const failed = (re: RegExp) => [...errors].some((s) => re.test(s));
  return { failed, state: (done, re) => (done ? 'done' : failed(re) ? 'failed' : 'todo') };
}

/** The phases every search ends with: training the found arch from scratch, then exporting it. */
export function trainExportPhases(run: RunData, state: (done: boolean, re: RegExp) => Phase['state']): Phase[] {
  const tv = trainView(run);
  return [
    { name: 'training', state: state(!!tv.completed, /train/), detail: tv.epochs.length ? `${tv.epochs.length}${tv.started?.epochs ? `/${tv.started.epochs}` : ''} epochs` : undefined },
    { name: 'export', state: state(run.hasModel, /export/), detail: run.hasModel ? 'model/' : undefined },
  ];
}

export interface SummaryOptions {
  /** The phases this kind of run goes through (drawn as chips: done / not reached / failed). */
  phases?: (run: RunData) => Phase[];
  /** Extra headline figures after the common ones. */
  facts?: (run: RunData) => Fact[];
  /** Extra trusted HTML after the phases (e.g. V3's found recipe). */
  extra?: (run: RunData) => string;
}

/** The headline numbers every report shows, read from result.json first, then from the log and arch.json. */
export interface HeadlineFigures {
  testAccuracy?: number;
  valAccuracy?: number;
  params?: number;
  flops?: number;
  /** Measured end-to-end latency of the final net (batch 1), when the command measured it. */
  latencyMs?: number;
  /** The latency table's prediction for the final net. */
  predictedLatencyMs?: number;
  backend?: string;
  wallSeconds?: number;
}

export function headlineFigures(run: RunData): HeadlineFigures {
  return memo(run, 'headline', () => {
    const r = run.result ?? {};
    const tr = trainView(run);
    const sn = supernetView(run);
    const num = (...vs: unknown[]) => vs.find(isNum) as number | undefined;
    let cost: { params: number; flops: number } | undefined;
    if (run.arch && !(isNum(r.params) && isNum(r.flops))) {
      try {
        cost = archCost(run.arch);
      } catch {
        cost = undefined;
      }
    }
    const lutDevice = (run.lut as { device?: { backend?: unknown } } | undefined)?.device;
    const backend = [r.backend, run.config.options?.backend, lutDevice?.backend].find((v) => typeof v === 'string' && v) as string | undefined;
    const f = run.final ?? {};
    const secs = r.seconds && typeof r.seconds === 'object' ? (r.seconds as Record<string, unknown>) : {};
    return {
      testAccuracy: num(r.testAccuracy, f.testAccuracy, tr.completed?.testAccuracy),
      valAccuracy: num(r.valAccuracy, f.valAccuracy, tr.completed?.valAccuracy, tr.epochs[tr.epochs.length - 1]?.valAccuracy),
      params: num(r.params, cost?.params),
      flops: num(r.flops, cost?.flops),
      latencyMs: num(r.latencyMs),
      predictedLatencyMs: num(r.predictedLatencyMs, sn.derived?.latencyMs),
      backend,
      wallSeconds: num(secs.total, r.seconds, logSpanSeconds(run)),
    };
  });
}

/**
 * Run summary: headline figures, phases reached, stage timings and errors, the config.
 * Generic: every report kind starts with it, passing its own phases and extra figures.
 */
export function runSummarySection(o: SummaryOptions = {}, id = 'summary', title = 'Run summary'): SectionBuilder {
  return {
    id,
    title,
    build(run) {
      const h = headlineFigures(run);
      const items: Fact[] = [
        { label: 'Test accuracy', value: percent(h.testAccuracy), hint: h.valAccuracy !== undefined ? `val ${percent(h.valAccuracy)}` : undefined },
        { label: 'Params', value: siCount(h.params) },
        { label: 'FLOPs', value: siCount(h.flops), hint: 'multiply-adds' },
        h.latencyMs !== undefined
          ? { label: 'Latency', value: `${ms(h.latencyMs)} ms`, hint: `measured, batch 1${h.predictedLatencyMs !== undefined ? ` · LUT ${ms(h.predictedLatencyMs)} ms` : ''}` }
          : { label: 'Latency (LUT)', value: h.predictedLatencyMs !== undefined ? `${ms(h.predictedLatencyMs)} ms` : '–', hint: 'predicted, batch 1; not measured yet' },
        { label: 'Backend', value: h.backend ?? '–' },
        { label: 'Wall time', value: duration(h.wallSeconds), hint: phaseSeconds(run) },
        ...(o.facts?.(run) ?? []),
      ];
      let html = facts(items);
      const phases = o.phases?.(run) ?? [];
      if (phases.length) {
        html += `<ul class="phases">${phases
          .map((p) => `<li class="${p.state}" title="${escapeXml(p.detail ?? '')}">${p.state === 'done' ? '✓' : p.state === 'failed' ? '✗' : '○'} ${escapeXml(p.name)}${p.detail ? ` · ${escapeXml(p.detail)}` : ''}</li>`)
          .join('')}</ul>`;
      }
      for (const e of eventsOf<{ stage?: string; code?: string; message?: string }>(run, 'stage/error')) {
        html += notice(`${e.stage ?? 'stage'} failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? ''}`, 'error');
      }
      for (const p of run.problems) html += notice(p, 'error');
      html += o.extra?.(run) ?? '';

      const spans = stageSpans(run);
      let left = '';
      if (spans.length) {
        left += '<h3>Stages</h3>';
        left += table(
          ['stage', 'status', 'duration'],
          spans.map((s) => [s.stage, s.status === 'error' ? `error: ${s.error ?? ''}` : s.status, s.startedAt !== undefined && s.endedAt !== undefined ? duration((s.endedAt - s.startedAt) / 1000) : '–']),
          { numeric: [2] },
        );
      }
      let right = '<h3>Config</h3>';
      const opts = run.config.options ?? {};
      const rows: string[][] = [
        ['command', run.config.command],
        ['seed', String(run.config.seed)],
        ['created', String(run.config.createdAt ?? '–')],
        ['run directory', run.dir],
        ...Object.keys(opts)
          .sort()
          .map((k) => [k, short(opts[k])]),
      ];
      const lutDone = lastEventOf<{ elapsedSec?: number }>(run, 'lut/completed');
      if (isNum(lutDone?.elapsedSec)) rows.push(['LUT measurement', duration(lutDone.elapsedSec)]);
      right += table(['', ''], rows, { className: 'kv' });
      right += details('config.json', pre(JSON.stringify(run.config, null, 2)));
      if (run.result) right += details('result.json', pre(JSON.stringify(run.result, null, 2)));
      html += left ? `<div class="cols"><div>${left}</div><div>${right}</div></div>` : right;
      return ok(html);
    },
  };
}

/** "LUT 5 min · search 6 min · train 2 min" from result.json's `seconds`, when it has them. */
function phaseSeconds(run: RunData): string | undefined {
  const s = run.result?.seconds;
  if (!s || typeof s !== 'object') return undefined;
  const parts = Object.entries(s as Record<string, unknown>)
    .filter(([k, v]) => k !== 'total' && isNum(v))
    .map(([k, v]) => `${k} ${duration(v as number)}`);
  return parts.length ? parts.join(' · ') : undefined;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

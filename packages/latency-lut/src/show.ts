import { FbnetError } from '@fbnet/core';
import { entryStepMs } from './predict.ts';
import { parseLut, type LatencyTable, type LutCorrection, type LutDevice, type LutTiming } from './schema.ts';
import { loadLut } from './storage.ts';
import { quantileSorted } from './timing.ts';
import type { FitFigures } from './metrics.ts';
import type { ValidationReport } from './validate-report.ts';
import type { ValidationDrift } from './validation-drift.ts';

export interface LutSummary {
  path?: string;
  device: LutDevice;
  timing: LutTiming;
  createdAt: string;
  updatedAt: string;
  measureSec?: number;
  sources: { kind: 'space' | 'archs'; name: string; hash: string }[];
  entries: number;
  byKind: Record<string, number>;
  /** Per op type: entries, and the sum / min / max of their medians. */
  byOpType: { opType: string; entries: number; minMs: number; maxMs: number; sumMs: number }[];
  /** The entries' stored spread: (p90 − p10) / median (median and largest over entries), and samples per entry. */
  spread?: { medianRel: number; maxRel: number; minSamples: number; medianSamples: number };
  /** Noisiest entries by (p90 − p10) / median. */
  noisiest: { key: string; medianMs: number; spread: number }[];
  correction?: Omit<LutCorrection, 'calibration'> & { calibration: LutCorrection['calibration'] };
}

/** `fbnet lut show`: what a table holds (object or path). */
export function showLut(lutOrPath: LatencyTable | string): LutSummary {
  const path = typeof lutOrPath === 'string' ? lutOrPath : undefined;
  const lut = typeof lutOrPath === 'string' ? loadLut(lutOrPath) : parseLut(lutOrPath);
  const byKind: Record<string, number> = {};
  const ops = new Map<string, { entries: number; minMs: number; maxMs: number; sumMs: number }>();
  for (const e of lut.entries) {
    byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
    const ms = entryStepMs(e);
    const o = ops.get(e.opType) ?? { entries: 0, minMs: Infinity, maxMs: -Infinity, sumMs: 0 };
    o.entries++;
    o.minMs = Math.min(o.minMs, ms);
    o.maxMs = Math.max(o.maxMs, ms);
    o.sumMs += ms;
    ops.set(e.opType, o);
  }
  return {
    path,
    device: lut.device,
    timing: lut.timing,
    createdAt: lut.createdAt,
    updatedAt: lut.updatedAt,
    measureSec: lut.measureSec,
    sources: lut.sources.map((s) => ({ kind: s.kind, name: s.kind === 'space' ? s.name : `${s.archs.length} arch def(s)`, hash: s.hash })),
    entries: lut.entries.length,
    byKind,
    byOpType: [...ops.entries()].map(([opType, o]) => ({ opType, ...o })).sort((a, b) => a.opType.localeCompare(b.opType)),
    spread: spreadOf(lut),
    noisiest: lut.entries
      .filter((e) => e.medianMs > 0)
      .map((e) => ({ key: e.key, medianMs: e.medianMs, spread: (e.p90Ms - e.p10Ms) / e.medianMs }))
      .sort((a, b) => b.spread - a.spread)
      .slice(0, 5),
    correction: lut.correction,
  };
}

function spreadOf(lut: LatencyTable): LutSummary['spread'] {
  const positive = lut.entries.filter((e) => e.medianMs > 0);
  if (!positive.length) return undefined;
  const rel = positive.map((e) => (e.p90Ms - e.p10Ms) / e.medianMs).sort((a, b) => a - b);
  const samples = lut.entries.map((e) => e.samples).sort((a, b) => a - b);
  return { medianRel: quantileSorted(rel, 0.5), maxRel: rel[rel.length - 1], minSamples: samples[0], medianSamples: quantileSorted(samples, 0.5) };
}

const CONTEXT_WORDS: Record<LutTiming['context'], string> = {
  net: 'inside nets',
  isolated: 'alone',
  lockstep: 'inside nets, in lockstep with whole-net runs',
};

const f3 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** Plain-text rendering of a summary (the CLI prints it; `--json` prints the summary itself). */
export function formatLutSummary(s: LutSummary): string {
  if (!s) throw new FbnetError('USAGE', 'no summary');
  const d = s.device;
  const lines = [
    `latency table${s.path ? ` ${s.path}` : ''}`,
    `  device   ${d.cpuModel}, ${d.cores} cores, ${d.os}, ${d.runtime}`,
    `  backend  ${d.backend} ${d.backendVersion}, kernel plan ${d.planHash}`,
    ...(d.extra ? Object.entries(d.extra).map(([k, v]) => `  ${k.padEnd(8)} ${v}`) : []),
    `  timing   tinybench, batch 1, timed ${CONTEXT_WORDS[s.timing.context]}, ${s.timing.timeMs} ms per ${s.timing.context === 'isolated' ? 'entry' : 'context arch'} in ${s.timing.rounds}-${s.timing.maxRounds} rounds, >= ${s.timing.minSamples} samples, warm-up ${s.timing.warmupMs} ms`,
    `  sources  ${s.sources.map((x) => `${x.kind} ${x.name} (${x.hash})`).join('; ') || 'none'}`,
    `  entries  ${s.entries} (${Object.entries(s.byKind).map(([k, v]) => `${v} ${k}`).join(', ')})${s.measureSec !== undefined ? `, measured in ${s.measureSec.toFixed(1)} s` : ''}`,
    ...(s.spread
      ? [
          `  spread   (p90 − p10) / median: median ${(100 * s.spread.medianRel).toFixed(1)}%, max ${(100 * s.spread.maxRel).toFixed(1)}%; ` +
            `samples per entry >= ${s.spread.minSamples} (median ${s.spread.medianSamples})`,
        ]
      : []),
    '',
    `  ${'op type'.padEnd(22)} ${'entries'.padStart(7)} ${'min ms'.padStart(9)} ${'max ms'.padStart(9)}`,
    ...s.byOpType.map((o) => `  ${o.opType.padEnd(22)} ${String(o.entries).padStart(7)} ${f3(o.minMs).padStart(9)} ${f3(o.maxMs).padStart(9)}`),
  ];
  if (s.correction) {
    const c = s.correction;
    lines.push(
      '',
      `  correction ${c.model}: offset ${f3(c.offsetMs)} ms, scale ${c.scale.toFixed(3)}${Object.keys(c.opWeights).length ? `, op weights ${Object.entries(c.opWeights).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(' ')}` : ''}`,
      `    calibration ${c.calibration.samples} archs: plain MAPE ${c.calibration.plain.mape.toFixed(2)}%, corrected ${c.calibration.corrected.mape.toFixed(2)}%`,
    );
  } else lines.push('', '  no correction fitted (fbnet lut validate fits one)');
  return lines.join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const tau = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** Plain-text rendering of a validation report (`fbnet lut validate` without `--json`). */
export function formatValidationReport(r: ValidationReport): string {
  const row = (name: string, f: FitFigures) =>
    `  ${name.padEnd(10)} ${`${f.mape.toFixed(2)}%`.padStart(8)} ${pct(f.within10).padStart(9)} ${f.kendallTau.toFixed(3).padStart(7)} ${`${f.biasPct >= 0 ? '+' : ''}${f.biasPct.toFixed(1)}%`.padStart(8)} ${`${f.maxAbsErrPct.toFixed(1)}%`.padStart(8)}`;
  const many = (r.rounds?.length ?? 1) > 1;
  const lines = [
    `latency table validation: ${r.space} on ${r.backend} (${r.device.cpuModel}, ${r.device.runtime})`,
    `  ${r.samples} sampled archs (seed ${r.seed}) timed end to end at batch 1${r.calibrationSamples ? `; correction fitted on ${r.calibrationSamples} other archs` : ''}`,
    '',
    ...(many ? [`  round 1 of ${r.rounds!.length} (every round below):`] : []),
    `  ${'predictor'.padEnd(10)} ${'MAPE'.padStart(8)} ${'±10%'.padStart(9)} ${'τ'.padStart(7)} ${'bias'.padStart(8)} ${'max err'.padStart(8)}`,
    row('plain', r.plain),
    ...(r.corrected ? [row('corrected', r.corrected)] : []),
    '',
    `  search uses the ${r.predictor} predictor${r.correction ? ` (${r.correction.model}: offset ${r.correction.offsetMs.toFixed(3)} ms, scale ${r.correction.scale.toFixed(3)})` : ''}`,
  ];
  if (r.outsideSpread) {
    lines.push(`  ${r.outsideSpread.count} of ${r.samples} archs measured outside the band of their entries' p10..p90 (more off than the table's own noise explains)`);
  }
  if (r.rounds && many) {
    lines.push('', `  ${'round'.padEnd(10)} ${'MAPE'.padStart(8)} ${'±10%'.padStart(9)} ${'τ'.padStart(7)} ${'outside'.padStart(8)}   (${r.predictor} predictor)`);
    for (const x of r.rounds) lines.push(`  ${String(x.round).padEnd(10)} ${`${x.mape.toFixed(2)}%`.padStart(8)} ${pct(x.within10).padStart(9)} ${x.kendallTau.toFixed(3).padStart(7)} ${String(x.outsideSpread).padStart(8)}`);
  }
  if (r.repeatability) {
    const p = r.repeatability;
    lines.push(
      `  repeatability: measured latencies of rounds 2..${p.rounds} vs round 1: τ ${tau(p.kendallTau)} (lowest), MAPE ${p.mape.toFixed(2)}% (highest), ` +
        `median ratio ${p.pairs.map((x) => x.medianRatio.toFixed(3)).join(', ')}; per-arch spread median ${p.medianSpreadPct.toFixed(1)}%, max ${p.maxSpreadPct.toFixed(1)}%`,
    );
  }
  if (r.drift) lines.push('', formatValidationDrift(r.drift));
  if (r.forcedDifferences?.length) lines.push(`  warning: table forced onto this device; differing fields: ${r.forcedDifferences.map((d) => d.field).join(', ')}`);
  return lines.join('\n');
}

/** Plain-text rendering of the drift between two validations of a table. */
export function formatValidationDrift(d: ValidationDrift): string {
  const head = (name: string, h: ValidationDrift['earlier']) => `    ${name.padEnd(8)} ${h.createdAt}  MAPE ${h.mape.toFixed(2)}%, within ±10% ${pct(h.within10)}, τ ${tau(h.kendallTau)} (${h.predictor})`;
  return [
    `  against the validation of ${Math.round(d.minutesApart)} min earlier (${d.common} archs in both${d.sameTable === undefined ? '' : d.sameTable ? ', same table' : ', another table'}):`,
    head('earlier', d.earlier),
    head('now', d.later),
    `    measured latencies now vs then: median ratio ${d.medianRatio.toFixed(3)}, τ ${tau(d.kendallTau)}, MAPE ${d.mape.toFixed(2)}%, within ±10% ${pct(d.within10)}`,
    ...d.warnings.map((w) => `    warning: ${w}`),
  ].join('\n');
}

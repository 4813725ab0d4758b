import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { escapeXml, table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from '../sections/section.ts';
import { eventsOf, type RunData } from '../run/run-data.ts';
import { phaseStates, runSummarySection, type Phase } from '../sections/summary.ts';
import { lutSection } from '../sections/lut.ts';
import { archContent } from '../sections/arch.ts';
import { trainingSection } from '../sections/training.ts';
import { fixed } from '../format.ts';
import type { ReportKind } from './report-kind.ts';
import { V1_REPORT } from './v1.ts';
import { V2_REPORT } from './v2.ts';
import { V3_REPORT } from './v3.ts';

interface PipelineFile {
  name?: string;
  preset?: string;
  stages?: { stage: string }[];
}
interface StageRecordFile {
  stage: string;
  seconds: number;
  produced: string[];
  summary?: Record<string, unknown>;
}

function pipelineOf(run: RunData): PipelineFile | undefined {
  const p = join(run.dir, 'pipeline.json');
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as PipelineFile;
  } catch {
    return undefined;
  }
}

/** Finished stages' records (`stage-<i>-<name>.json`), by index. */
function recordsOf(run: RunData): Map<number, StageRecordFile> {
  const out = new Map<number, StageRecordFile>();
  for (const f of existsSync(run.dir) ? readdirSync(run.dir) : []) {
    const m = /^stage-(\d+)-[a-z0-9/-]+\.json$/.exec(f);
    if (!m) continue;
    try {
      out.set(Number(m[1]) - 1, JSON.parse(readFileSync(join(run.dir, f), 'utf8')) as StageRecordFile);
    } catch {
      /* a broken record reads as not finished */
    }
  }
  return out;
}

/** One phase per stage of the pipeline: done when its record exists, failed when a stage/error names it. */
function pipelinePhases(run: RunData): Phase[] {
  const p = pipelineOf(run);
  const records = recordsOf(run);
  const { state } = phaseStates(run);
  return (p?.stages ?? []).map((s, i) => {
    const r = records.get(i);
    return { name: `${i + 1}. ${s.stage}`, state: state(!!r, new RegExp(`^${s.stage.replace(/[^a-z0-9]/g, '.')}`)), detail: r ? `${fixed(r.seconds, 1)} s → ${r.produced.join(', ') || '—'}` : undefined };
  });
}

const figure = (v: unknown): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (Array.isArray(v)) return v.length > 8 ? `${v.slice(0, 8).map(figure).join(' ')} …` : v.map(figure).join(' ');
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${figure(x)}`).join(', ');
  return String(v);
};

const stagesSection: SectionBuilder = {
  id: 'pipeline',
  title: 'Pipeline',
  build(run) {
    const p = pipelineOf(run);
    if (!p?.stages?.length) return missing('no pipeline.json in the run directory');
    const records = recordsOf(run);
    const rows = p.stages.map((s, i) => {
      const r = records.get(i);
      const summary = r?.summary ? Object.entries(r.summary).map(([k, v]) => `${k}: ${figure(v)}`).join('; ') : '';
      return [String(i + 1), s.stage, r ? fixed(r.seconds, 1) : 'not finished', r ? r.produced.join(', ') : '', summary];
    });
    const caption = `<p>${escapeXml(p.name ?? 'pipeline')} (${escapeXml(p.preset ?? '')}): each stage takes its inputs from the nearest earlier stage that produced them.</p>`;
    return ok(caption + table(['#', 'stage', 'seconds', 'produced', 'figures'], rows, { numeric: [0, 2] }));
  },
};

const has = (type: string) => (run: RunData) => eventsOf(run, type).length > 0;

/** A search family's sections (less its summary, lut and training), shown when the run has that search's events. */
function family(kind: ReportKind, started: string, prefix: string, skip: readonly string[] = []): SectionBuilder[] {
  return kind.sections
    .slice(1)
    .filter((b) => !['lut', 'training', ...skip].includes(b.id))
    .map((b) => ({ ...b, id: `${prefix}-${b.id}`, title: `${kind.title.replace(/ search$/, '')}: ${b.title}`, applies: has(started) }));
}

/**
 * `fbnet run`: a pipeline's report — its stages (state, seconds, what each produced) and the
 * sections of every search the pipeline ran (V1, V2, V3), then the latency table and training.
 * With V1 and V2 in one run, V2's arch and samples are told by its distributions and curves (both
 * searches log `search/arch-derived`).
 */
export const PIPELINE_REPORT: ReportKind = {
  command: 'run',
  title: 'fbnet pipeline',
  sections: [
    runSummarySection({
      phases: pipelinePhases,
      facts: (run) => {
        const p = pipelineOf(run);
        return [{ label: 'Pipeline', value: p?.name ?? '–', hint: (p?.stages ?? []).map((s) => s.stage).join(' → ') }];
      },
    }),
    stagesSection,
    // arch.json is the arch the last search stage produced: drawn as V1's or V2's only when that search ran alone.
    ...family(V1_REPORT, 'supernet/started', 'v1').map((b) =>
      b.id === 'v1-arch' ? { ...b, applies: (run: RunData) => has('supernet/started')(run) && !has('dmasking/started')(run) && !has('evolution/started')(run) } : b,
    ),
    {
      id: 'arch',
      title: 'Architecture (from the last search stage)',
      applies: (run: RunData) => [has('supernet/started'), has('dmasking/started'), has('evolution/started')].filter((f) => f(run)).length > 1 || (has('evolution/started')(run) && !has('autotrain/started')(run)),
      build: (run: RunData) => (run.arch ? archContent(run.arch, { caption: 'From arch.json: the arch the last search stage produced, which the pipeline trained.' }) : missing('no arch.json in the run directory')),
    },
    ...family(V2_REPORT, 'dmasking/started', 'v2').map((b) =>
      ['v2-arch', 'v2-sampled'].includes(b.id) ? { ...b, applies: (run: RunData) => has('dmasking/started')(run) && !has('supernet/started')(run) } : b,
    ),
    ...family(V3_REPORT, 'autotrain/started', 'v3'),
    lutSection,
    trainingSection,
  ],
};

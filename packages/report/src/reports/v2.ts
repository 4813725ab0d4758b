import type { Phase } from '../sections/summary.ts';
import { phaseStates, runSummarySection, trainExportPhases } from '../sections/summary.ts';
import { trainingSection } from '../sections/training.ts';
import { v2ArchSection, v2LutSection } from '../sections/v2-arch.ts';
import { v2Context } from '../sections/v2-context.ts';
import { v2CurvesSection } from '../sections/v2-curves.ts';
import { v2BlocksSection, v2ChannelsSection } from '../sections/v2-distributions.ts';
import { v2SampledSection } from '../sections/v2-sampled.ts';
import { isNum, type RunData } from '../run/run-data.ts';
import { fixed, percent } from '../format.ts';

/** 11.6 → "4.0·10^11" (the space size from its log10). */
function archCount(log10: number): string {
  const e = Math.floor(log10);
  return `${fixed(Math.pow(10, log10 - e), 1)}·10^${e}`;
}
import type { ReportKind } from './report-kind.ts';

/** What a `search v2` run goes through: (space LUT) → DMasking supernet → derive → train → export → latency. */
export function v2Phases(run: RunData): Phase[] {
  const ctx = v2Context(run);
  const { failed, state } = phaseStates(run);
  const n = ctx.view.epochs.length;
  const total = ctx.view.started?.epochs;
  const phases: Phase[] = [];
  if (ctx.resource === 'latency') phases.push({ name: 'latency table', state: state(run.lut !== undefined, /lut|latency/), detail: run.lut !== undefined ? 'lut.json' : undefined });
  phases.push(
    { name: 'supernet', state: isNum(total) && n >= total ? 'done' : failed(/dmasking|supernet|search/) ? 'failed' : 'todo', detail: n || total ? `${n}${total ? `/${total}` : ''} epochs` : undefined },
    { name: 'arch derived', state: state(!!ctx.view.derived || !!run.arch, /search|derive/), detail: ctx.view.sampled.length ? `${ctx.view.sampled.length} sampled` : undefined },
    ...trainExportPhases(run, state),
    { name: 'latency measured', state: state(isNum(run.result?.latencyMs), /lut|latency/), detail: ctx.lut?.latency ? ctx.lut.file : undefined },
  );
  return phases;
}

/** `search v2`: FBNetV2 DMaskingNAS — blocks, channel widths, expansions and input resolution (Wan et al. 2020). */
export const V2_REPORT: ReportKind = {
  command: 'search v2',
  title: 'FBNetV2 search',
  sections: [
    runSummarySection({
      phases: v2Phases,
      facts: (run) => {
        const ctx = v2Context(run);
        const d = ctx.view.derived;
        const size = ctx.view.started?.spaceSizeLog10;
        const res = d?.resolution ?? (isNum(run.result?.resolution) ? run.result.resolution : undefined);
        return [
          { label: 'Search space', value: ctx.space?.name ?? (typeof run.config.options?.space === 'string' ? run.config.options.space : '–'), hint: isNum(size) ? `${archCount(size)} archs, ${ctx.layers} searchable layers` : ctx.layers ? `${ctx.layers} searchable layers` : undefined },
          { label: 'Resource', value: ctx.resource ?? '–', hint: 'term of the search loss' },
          { label: 'Resolution', value: isNum(res) ? `${res}×${res}` : '–', hint: ctx.resolutions ? `of ${ctx.resolutions.join('/')}` : undefined },
          { label: 'Supernet acc.', value: isNum(d?.supernetAccuracy) ? percent(d.supernetAccuracy) : '–', hint: 'derived arch, shared weights' },
        ];
      },
    }),
    v2ArchSection,
    v2ChannelsSection,
    v2BlocksSection,
    v2CurvesSection,
    v2SampledSection,
    v2LutSection,
    trainingSection,
  ],
};

import type { Phase } from '../sections/summary.ts';
import { phaseStates, runSummarySection, trainExportPhases } from '../sections/summary.ts';
import { thetaSection } from '../sections/theta.ts';
import { supernetCurvesSection } from '../sections/supernet-curves.ts';
import { derivedArchSection } from '../sections/arch.ts';
import { sampledArchsSection } from '../sections/sampled-archs.ts';
import { baselinesSection } from '../sections/baselines.ts';
import { lutSection } from '../sections/lut.ts';
import { trainingSection } from '../sections/training.ts';
import { v1Context } from '../sections/v1-context.ts';
import type { RunData } from '../run/run-data.ts';
import { fixed } from '../format.ts';
import type { ReportKind } from './report-kind.ts';

/** What a `search v1` run goes through, in order: LUT, supernet, sampling/derivation, training, export. */
export function v1Phases(run: RunData): Phase[] {
  const ctx = v1Context(run);
  const { failed, state } = phaseStates(run);
  const snEpochs = ctx.view.epochs.length;
  const snTotal = ctx.view.started?.epochs;
  return [
    { name: 'latency table', state: state(run.lut !== undefined, /lut|latency/), detail: run.lut !== undefined ? 'lut.json' : undefined },
    {
      name: 'supernet',
      state: snTotal !== undefined && snEpochs >= snTotal ? 'done' : failed(/supernet|search/) ? 'failed' : 'todo',
      detail: snEpochs || snTotal ? `${snEpochs}${snTotal ? `/${snTotal}` : ''} epochs` : undefined,
    },
    { name: 'arch derived', state: state(!!ctx.view.derived || !!run.arch, /search|derive/), detail: ctx.view.sampled.length ? `${ctx.view.sampled.length} sampled` : undefined },
    ...trainExportPhases(run, state),
  ];
}

/** `search v1`: FBNet DNAS with a Gumbel-softmax supernet (Wu et al. 2019). */
export const V1_REPORT: ReportKind = {
  command: 'search v1',
  title: 'FBNetV1 search',
  sections: [
    runSummarySection({
      phases: v1Phases,
      facts: (run) => {
        const ctx = v1Context(run);
        const d = ctx.view.derived;
        return [
          { label: 'Search space', value: ctx.space?.name ?? '–', hint: ctx.candidates.length ? `${ctx.candidates.length} searchable layers` : undefined },
          { label: 'Supernet acc.', value: typeof d?.supernetAccuracy === 'number' ? `${fixed(d.supernetAccuracy * 100, 2)}%` : '–', hint: 'derived arch, shared weights' },
        ];
      },
    }),
    derivedArchSection,
    thetaSection,
    supernetCurvesSection,
    sampledArchsSection,
    baselinesSection,
    lutSection,
    trainingSection,
  ],
};

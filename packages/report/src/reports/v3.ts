import { lastEventOf } from '../run/run-data.ts';
import { table, type Fact } from '@fbnet/html';
import type { Phase } from '../sections/summary.ts';
import { phaseStates, runSummarySection, trainExportPhases } from '../sections/summary.ts';
import { trainingSection } from '../sections/training.ts';
import { v3ArchSection } from '../sections/v3-arch.ts';
import { v3CoarseSection, v3PredictorSection } from '../sections/v3-coarse.ts';
import { v3Context } from '../sections/v3-context.ts';
import { v3EarlyStopSection } from '../sections/v3-early-stop.ts';
import { v3EvolutionSection } from '../sections/v3-evolution.ts';
import { v3ParetoSection } from '../sections/v3-pareto.ts';
import { isNum, type RunData } from '../run/run-data.ts';
import { fixed, ms, percent, siCount } from '../format.ts';
import type { ReportKind } from './report-kind.ts';

/** What a `search v3` run goes through: proxy pretraining → early-stop rule → coarse iterations → fine stage → train → export → latency. */
export function v3Phases(run: RunData): Phase[] {
  const { view: v } = v3Context(run);
  const { state } = phaseStates(run);
  const its = Math.max(0, ...v.candidates.map((c) => c.iteration ?? 0));
  const total = v.started?.iterations;
  return [
    { name: 'proxy pretraining', state: state(!!v.proxy || v.coarseDone, /autotrain|predictor|proxy/), detail: isNum(v.proxy?.samples) ? `${v.proxy.samples} archs` : undefined },
    { name: 'early-stop rule', state: state(!!v.earlyStop, /autotrain|early/), detail: isNum(v.earlyStop?.budget) ? `budget ${v.earlyStop.budget} epoch${v.earlyStop.budget === 1 ? '' : 's'}` : undefined },
    {
      name: 'coarse stage',
      state: state(v.coarseDone, /autotrain|coarse/),
      detail: v.candidates.length ? `${its}${isNum(total) ? `/${total}` : ''} iterations, ${v.candidates.length} trained` : undefined,
    },
    { name: 'fine stage', state: state(v.fineDone, /evolution|fine/), detail: v.generations.length ? `${v.generations.length} generations` : undefined },
    ...trainExportPhases(run, state),
    { name: 'latency measured', state: state(isNum(run.result?.latencyMs), /latency|lut/) },
  ];
}

function value(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

const RECIPE_ORDER = ['optimizer', 'lr', 'momentum', 'nesterov', 'weightDecay', 'epochs', 'batchSize', 'warmupEpochs', 'labelSmoothing', 'mixup', 'dropout', 'dropPath', 'ema', 'augment'];

/** The found recipe (as trained) and the found architecture point, side by side. */
function foundTables(run: RunData): string {
  const ctx = v3Context(run);
  const recipe = ctx.view.recipe;
  const point = ctx.view.best?.point;
  if (!recipe && !point) return '';
  const searched = new Set(Object.keys(ctx.space?.recipe ?? {}));
  let left = '<h3>Found training recipe</h3>';
  if (recipe) {
    const all = [...RECIPE_ORDER.filter((k) => k in recipe), ...Object.keys(recipe).filter((k) => !RECIPE_ORDER.includes(k)).sort()];
    // Searched values first: they are what the search found; the rest the space fixes.
    const keys = [...all.filter((k) => searched.has(k)), ...all.filter((k) => !searched.has(k))];
    const note = (k: string) => {
      if (!searched.size) return '';
      if (k === 'lr' && searched.has('lr')) return isNum(point?.['recipe.lr']) && point['recipe.lr'] !== recipe.lr ? `searched: ${value(point['recipe.lr'])} × lr scale` : 'searched';
      return searched.has(k) ? 'searched' : 'fixed';
    };
    left += table(['', 'value', ''], keys.map((k) => [k, k === 'ema' && recipe[k] === 0 ? '0 (off)' : value(recipe[k]), note(k)]), { className: 'kv' });
  } else left += '<p>No recipe.json yet (written when the fine stage ends).</p>';
  let right = '<h3>Found architecture point</h3>';
  if (point) {
    const arch = Object.keys(point).filter((k) => !k.startsWith('recipe.'));
    right += table(['', 'value'], arch.map((k) => [k, value(point[k])]), { className: 'kv' });
  } else right += '<p>The fine stage has not ended.</p>';
  return `<div class="cols"><div>${left}</div><div>${right}</div></div>`;
}

/** `search v3`: FBNetV3 JointNAS — architecture and training recipe searched together (Dai et al. 2021). */
export const V3_REPORT: ReportKind = {
  command: 'search v3',
  title: 'FBNetV3 search',
  sections: [
    runSummarySection({
      phases: v3Phases,
      facts: (run) => {
        const ctx = v3Context(run);
        const v = ctx.view;
        const k = v.constraints;
        const ceiling = lastEventOf<{ kendallTau?: number; n?: number }>(run, 'autotrain/noise-ceiling-measured');
        const limits = [isNum(k?.maxFlops) ? `FLOPs ≤ ${siCount(k.maxFlops)}` : '', isNum(k?.maxParams) ? `params ≤ ${siCount(k.maxParams)}` : '', isNum(k?.maxLatencyMs) ? `LAT ≤ ${ms(k.maxLatencyMs)} ms` : ''].filter(Boolean);
        const items: Fact[] = [
          { label: 'Search space', value: ctx.space?.name ?? v.started?.space ?? '–', hint: isNum(v.started?.dimensions) ? `${v.started.dimensions} dimensions (arch + recipe)` : undefined },
          // Fact labels are upper-cased by the stylesheet (τ would read as T): τ goes in the value.
          {
            label: 'Predictor',
            value: `τ ${fixed(v.predictor?.kendallTau, 3)}`,
            hint:
              `Kendall τ held out${isNum(v.predictor?.n) ? ` (n = ${v.predictor.n})` : ''}, RMSE ${isNum(v.predictor?.rmse) ? `${fixed(v.predictor.rmse * 100, 2)} pts` : '–'}` +
              (isNum(ceiling?.kendallTau) ? `; noise ceiling τ ${fixed(ceiling.kendallTau, 3)} (seed to seed, n = ${ceiling.n})` : ''),
          },
          { label: 'Predicted acc.', value: percent(ctx.found?.score), hint: 'found arch + recipe' },
          { label: 'Candidates', value: String(v.candidates.length), hint: isNum(v.earlyStop?.budget) ? `trained, early-stop budget ${v.earlyStop.budget} ep.` : 'trained' },
        ];
        if (limits.length) items.push({ label: 'Constraints', value: limits.join(', '), wide: limits.join(', ').length > 14 });
        return items;
      },
      extra: foundTables,
    }),
    v3ArchSection,
    v3EarlyStopSection,
    v3CoarseSection,
    v3PredictorSection,
    v3ParetoSection,
    v3EvolutionSection,
    trainingSection,
  ],
};

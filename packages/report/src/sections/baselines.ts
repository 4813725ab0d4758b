import { table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum, isObj, runJson } from '../run/run-data.ts';
import { ms, percent, siCount } from '../format.ts';
import { paretoFront } from '../charts/pareto-front.ts';
import { scatterContent } from './scatter.ts';

interface BaselineView {
  kind?: string;
  name?: string;
  ops?: string[];
  testAccuracy?: number;
  latencyMs?: number;
  params?: number;
}

/**
 * The search's result against what one would try without a search (`baselines.json`, from
 * `fbnet bench baselines`): uniform nets and random archs trained with the same recipe, their
 * accuracy–latency Pareto front, and the found arch on the same axes.
 */
export const baselinesSection: SectionBuilder = {
  id: 'baselines',
  title: 'Against the baselines: uniform nets and random archs',
  async build(run) {
    const file = runJson<{ nets?: unknown; preset?: string; random?: number }>(run, 'baselines.json');
    if (!file) return missing('the run has no baselines.json: run fbnet bench baselines for this preset and pass it with --baselines');
    const nets = (Array.isArray(file.nets) ? file.nets : []).filter(isObj) as BaselineView[];
    const usable = nets.filter((n) => isNum(n.testAccuracy) && isNum(n.latencyMs));
    if (!usable.length) return missing('baselines.json lists no net with an accuracy and a latency');
    const r = run.result;
    const found = r && isNum(r.testAccuracy) && isNum(r.latencyMs) ? { acc: r.testAccuracy, lat: r.latencyMs } : undefined;
    const arch = Array.isArray(r?.arch) ? (r.arch as string[]).join(' ') : 'found arch';
    const chart = await scatterContent({
      points: usable.map((n) => ({
        x: n.latencyMs!,
        y: n.testAccuracy! * 100,
        group: n.kind === 'uniform' ? 'uniform net' : 'random arch',
        label: `${n.name}: ${percent(n.testAccuracy)} at ${ms(n.latencyMs)} ms · ${siCount(n.params)} params\n${(n.ops ?? []).join(' ')}`,
      })),
      highlight: found ? [{ x: found.lat, y: found.acc * 100, tag: 'found', color: '#111111', label: `found: ${arch}\n${percent(found.acc)} at ${ms(found.lat)} ms` }] : [],
      pareto: { x: 'min', y: 'max' },
      paretoPointsOnly: true,
      xLabel: 'batch-1 latency (ms, measured)',
      yLabel: 'test accuracy %',
      title: `${usable.length} baselines (${file.preset ?? '?'} recipe)`,
      caption: 'Every baseline trained from scratch with the recipe of the search’s final training, on the same splits; the line is their Pareto front. A search earns its cost where the found arch sits above the line.',
    });
    const b = isObj(r?.baseline) ? r.baseline : undefined;
    const verdict = b
      ? isNum(b.marginPts)
        ? `<p>Best baseline at or below the found arch’s latency: <b>${String(b.name)}</b>, ${percent(b.testAccuracy as number)} at ${ms(b.latencyMs as number)} ms. The found arch is <b>${(b.marginPts as number) >= 0 ? '+' : ''}${(b.marginPts as number).toFixed(2)} pt</b> against it${isNum(b.marginToInterpolatedFrontPts) ? ` and ${(b.marginToInterpolatedFrontPts as number) >= 0 ? '+' : ''}${(b.marginToInterpolatedFrontPts as number).toFixed(2)} pt against the front drawn as straight lines` : ''}.</p>`
        : '<p>Every baseline is slower than the found arch.</p>'
      : '';
    const front = new Set(paretoFront(usable.map((n, i) => ({ x: n.latencyMs!, y: n.testAccuracy!, i }))).map((p) => p.i));
    const rows = usable
      .map((n, i) => ({ n, i }))
      .sort((p, q) => p.n.latencyMs! - q.n.latencyMs!)
      .map(({ n, i }) => [n.name ?? '?', (n.ops ?? []).join(' '), ms(n.latencyMs), percent(n.testAccuracy), siCount(n.params), front.has(i) ? 'yes' : '']);
    const tbl = table(['baseline', 'candidate per layer', 'latency ms', 'test acc', 'params', 'Pareto'], rows, { numeric: [2, 3, 4], className: 'archs' });
    return ok(`${verdict}${chart}<div class="scroll">${tbl}</div>`, found ? undefined : 'partial: the run has no result yet, the found arch is not drawn');
  },
};

import { table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { archPointText, recipePointText } from '../run/v3-view.ts';
import { fixed, ms, percent, siCount } from '../format.ts';
import { curvesContent, percentDomain, seriesOf } from './curves.ts';
import { v3Context } from './v3-context.ts';

/**
 * V3 fine stage (FBNetV3 §3.3): adaptive genetic search over architecture + recipe, scored by
 * the predictor under the resource constraints. Best and mean predicted score per generation,
 * the adaptive mutation rate, children made and rejected; the final population.
 */
export const v3EvolutionSection: SectionBuilder = {
  id: 'evolution',
  title: 'Fine stage: evolution of the predicted score',
  async build(run) {
    const ctx = v3Context(run);
    const v = ctx.view;
    const g = v.generations.map((e) => ({ ...e, epoch: e.generation }));
    if (!g.length && !v.best) return missing(v.coarseDone ? 'no evolution/generation events: the fine stage has not run yet' : 'the coarse stage has not completed: the fine stage starts after it');
    let html = '';
    if (g.length) {
      const best = seriesOf(g, (e) => (isNum(e.bestScore) ? e.bestScore * 100 : undefined));
      const mean = seriesOf(g, (e) => (isNum(e.meanScore) ? e.meanScore * 100 : undefined));
      html += await curvesContent(
        [
          {
            title: 'Predicted accuracy of the population',
            xLabel: 'generation',
            yLabel: 'predicted accuracy %',
            y2Label: 'mutation rate',
            yFormat: '.1f',
            yDomain: percentDomain([...best, ...mean]),
            series: [
              { name: 'best', points: best, color: '#4e79a7' },
              { name: 'mean', points: mean, color: '#76b7b2' },
              { name: 'mutation rate', points: seriesOf(g, (e) => e.mutationRate), color: '#b07aa1', dashed: true, axis: 'right' },
            ],
            caption: 'Best and mean predicted accuracy of the population after each generation (elitist selection keeps the best). The mutation rate shrinks after an improving generation and grows after a stagnant one.',
          },
          {
            title: 'Children per generation',
            xLabel: 'generation',
            yLabel: 'children',
            series: [
              { name: 'made', points: seriesOf(g, (e) => e.children), color: '#59a14f' },
              { name: 'rejected (constraints)', points: seriesOf(g, (e) => e.rejected), color: '#e15759' },
            ],
            caption: 'Children made by crossover and mutation, and those rejected for breaking a resource constraint.',
          },
        ],
        420,
      );
    }
    const pop = v.population.filter((p) => p && p.point);
    if (pop.length) {
      const rows = pop.slice(0, 10).map((p, i) => {
        const c = { ...ctx.cost(p.point), ...Object.fromEntries(Object.entries(p.cost ?? {}).filter(([, x]) => isNum(x))) };
        return [JSON.stringify(p.point) === JSON.stringify(v.best?.point) ? 'found' : `#${i + 1}`, archPointText(p.point), recipePointText(p.point), percent(p.score), siCount(c.flops), siCount(c.params), ms(c.latencyMs)];
      });
      html += `<h3>Final population, best first${pop.length > 10 ? ' (top 10)' : ''}</h3>`;
      html += `<div class="scroll">${table(['', 'architecture', 'recipe', 'predicted', 'FLOPs', 'params', 'LUT ms'], rows, { numeric: [3, 4, 5, 6], className: 'points' })}</div>`;
    }
    const note = !v.fineDone ? `partial: ${g.length} generation${g.length === 1 ? '' : 's'} logged, the fine stage has not completed` : !g.length ? 'the log has no evolution/generation events; the result comes from fine.json' : undefined;
    return ok(html, note);
  },
};

import { table } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { duration, fixed, percent } from '../format.ts';
import { trainView } from '../run/views.ts';
import { curvesContent, seriesOf } from './curves.ts';

/** Final training of the found arch from scratch: train loss, train/val accuracy per epoch, test accuracy. */
export const trainingSection: SectionBuilder = {
  id: 'training',
  title: 'Final training',
  async build(run) {
    const tv = trainView(run);
    const ep = tv.epochs;
    if (!ep.length) {
      return missing(tv.started ? 'training started but no epoch finished' : 'no train/epoch-ended events: the found arch has not been trained yet');
    }
    const test = tv.completed?.testAccuracy ?? (typeof run.result?.testAccuracy === 'number' ? run.result.testAccuracy : undefined);
    const first = ep[0].epoch;
    const last = ep[ep.length - 1].epoch;
    const html = await curvesContent([
      {
        title: 'Training loss',
        xLabel: 'epoch',
        yLabel: 'loss',
        series: [{ name: 'train loss', points: seriesOf(ep, (e) => e.trainLoss), color: '#4e79a7' }],
      },
      {
        title: 'Accuracy',
        xLabel: 'epoch',
        yLabel: 'accuracy %',
        yFormat: '.0f',
        series: [
          { name: 'train', points: seriesOf(ep, (e) => e.trainAccuracy * 100), color: '#4e79a7' },
          { name: 'val', points: seriesOf(ep, (e) => (typeof e.valAccuracy === 'number' ? e.valAccuracy * 100 : undefined)), color: '#f28e2b' },
          ...(typeof test === 'number' ? [{ name: `test (final) ${percent(test)}`, points: [[first, test * 100], [last, test * 100]] as [number, number][], color: '#59a14f', dashed: true, markers: false }] : []),
        ],
      },
    ]);
    const lastE = ep[ep.length - 1];
    const rows = [
      ['epochs', `${ep.length}${tv.started?.epochs ? ` of ${tv.started.epochs}` : ''}`],
      ['final train loss', fixed(lastE.trainLoss, 4)],
      ['final train accuracy', percent(lastE.trainAccuracy)],
      ['final val accuracy', percent(tv.completed?.valAccuracy ?? lastE.valAccuracy)],
      ['test accuracy', percent(test)],
      ['training time', duration(tv.completed?.seconds ?? ep.reduce((a, e) => a + (e.seconds ?? 0), 0))],
      ['exported model', run.hasModel ? 'model/model.json' : 'not exported'],
    ];
    const expected = tv.started?.epochs;
    const note = !tv.completed
      ? `partial: ${ep.length}${expected ? ` of ${expected}` : ''} epochs logged, training not completed`
      : undefined;
    return ok(html + table(['', ''], rows, { className: 'kv' }), note);
  },
};

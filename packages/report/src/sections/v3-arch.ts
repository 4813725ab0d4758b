import { facts } from '@fbnet/html';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { ms, percent, siCount } from '../format.ts';
import { archContent } from './arch.ts';
import { v3Context } from './v3-context.ts';

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** V3: the found architecture (arch.json, else the fine stage's best point) with its figures. */
export const v3ArchSection: SectionBuilder = {
  id: 'arch',
  title: 'Found architecture',
  build(run) {
    const ctx = v3Context(run);
    if (!ctx.arch) {
      return missing(ctx.view.best ? `no arch.json and the found point cannot be turned into an arch: ${ctx.spaceError ?? 'unknown joint space'}` : 'no arch.json and no evolution/completed event: the fine stage has not found an architecture yet');
    }
    const f = ctx.found;
    const r = run.result ?? {};
    const conf = r.confirmed as { candidates?: unknown; pickRank?: unknown } | undefined;
    const kind = f?.source === 'coarse' ? 'a coarse-stage candidate' : 'a fine-stage proposal, verified by training it like the coarse candidates';
    const origin =
      conf && isNum(conf.candidates) && isNum(conf.pickRank) && f?.source
        ? `${kind}; of the ${conf.candidates} best single scores, each trained again with another seed, the best mean of two (${conf.pickRank === 1 ? 'also the best single score' : `the ${ordinal(conf.pickRank)} best single score`})`
        : f?.source === 'coarse'
          ? 'the best coarse-stage candidate (it measured better than every verified fine-stage proposal)'
          : f?.source === 'verified'
            ? 'a fine-stage proposal, verified by training it like the coarse candidates'
            : 'the fine stage\'s best point so far (not yet verified or trained)';
    const h = r.horizon as { contenders?: unknown; epochs?: unknown; accuracy?: unknown; pickRank?: unknown; defaultAccuracy?: unknown; recipeFrom?: unknown } | undefined;
    const horizon =
      h && isNum(h.contenders) && isNum(h.epochs) && isNum(h.accuracy)
        ? `. Then, trained for the final training's ${h.epochs} epochs on the candidates' data, the best of ${h.contenders} contenders: ${percent(h.accuracy)}${h.recipeFrom === 'default' ? ' with the space\'s default recipe, which beat every searched recipe there' : isNum(h.defaultAccuracy) ? ` (the default recipe on the chosen arch: ${percent(h.defaultAccuracy)})` : ''}`
        : '';
    const recipe = h?.recipeFrom === 'default' ? 'the space\'s default recipe' : 'the found recipe';
    const c = archContent(ctx.arch, { caption: `The exported arch: ${origin}${horizon}. Trained from scratch with ${recipe} (run summary); every figure here is of this arch.` });
    if (c.status === 'missing') return c;
    const items = [
      { label: 'Resolution', value: `${ctx.arch.input_size}×${ctx.arch.input_size}` },
      { label: 'FLOPs', value: siCount(f?.flops), hint: 'multiply-adds' },
      { label: 'Params', value: siCount(f?.params) },
      { label: 'Predicted acc.', value: percent(f?.score), hint: f?.source === 'coarse' ? 'none: chosen by measurement' : 'at the early-stopping budget' },
      { label: 'Chosen from', value: f?.source ?? '–' },
      { label: 'Latency', value: isNum(r.latencyMs) ? `${ms(r.latencyMs)} ms` : isNum(f?.latencyMs) ? `${ms(f.latencyMs)} ms` : '–', hint: isNum(r.latencyMs) ? 'measured, batch 1' : isNum(f?.latencyMs) ? 'LUT' : undefined },
    ];
    return ok(facts(items) + c.html);
  },
};

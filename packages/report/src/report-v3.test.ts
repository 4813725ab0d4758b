import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { count, sections } from '../test/report-test-support.ts';
import { charts, layerTexts, marks, texts } from '../test/svg.ts';
import { makeV3Run, V3_FIXTURE, type V3FixtureOptions } from '../test/fixtures-v3.ts';
import { buildReport, reportKindFor, V3_REPORT } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-report-v3-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (o?: V3FixtureOptions) => makeV3Run(join(root, `run-${n++}`), o);
const readJson = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const IDS = ['summary', 'arch', 'early-stop', 'coarse', 'predictor', 'pareto', 'evolution', 'training'];
const TRAINED = V3_FIXTURE.earlyStopSet + V3_FIXTURE.iterations * V3_FIXTURE.perIteration;
const PREDICTED = V3_FIXTURE.iterations * V3_FIXTURE.perIteration;

describe('V3 report of a complete run with a latency table', async () => {
  const dir = fresh({ lut: true });
  const html = await buildReport(dir);
  const s = sections(html);
  const coarse = readJson(dir, 'coarse.json');
  const recipe = readJson(dir, 'recipe.json');

  it('is the registered V3 kind, with every section drawn', async () => {
    expect(reportKindFor('search v3')).toBe(V3_REPORT);
    expect(html).toContain('<title>FBNetV3 search · run-0</title>');
    expect(Object.keys(s)).toEqual(IDS);
    for (const [id, sec] of Object.entries(s)) expect(sec.status, id).toBe('ok');
  });
  it('summary: predictor τ and RMSE, the found recipe (searched vs fixed) and point, phases', async () => {
    const b = s.summary.body;
    expect(b).toContain(`τ ${coarse.predictor.kendallTau.toFixed(3)}`);
    expect(b).toContain(`RMSE ${(coarse.predictor.rmse * 100).toFixed(2)} pts`);
    expect(b).toContain('Found training recipe');
    expect(b).toContain(`<td>optimizer</td><td>${recipe.optimizer}</td><td>searched</td>`);
    expect(b).toContain(`<td>batchSize</td><td>${recipe.batchSize}</td><td>fixed</td>`);
    expect(b).toMatch(/<td>lr<\/td><td>[\d.e-]+<\/td><td>searched/);
    expect(b).toContain('Found architecture point');
    expect(b).toContain('stage4.channels');
    expect(b).toContain('FLOPs ≤ 1M');
    expect(b).toContain(`✓ early-stop rule · budget ${coarse.budget} epochs`);
    expect(b).toContain(`✓ coarse stage · 3/3 iterations, ${TRAINED} trained`);
    expect(b).toContain(`✓ fine stage · ${V3_FIXTURE.generations} generations`);
  });
  it('found arch: diagram and figures', async () => {
    expect(s.arch.body).toContain('<div class="arch">');
    expect(s.arch.body).toContain('measured, batch 1');
  });
  it('early stop: τ per budget with the threshold and the chosen budget; the set\'s curves', async () => {
    const b = s['early-stop'].body;
    expect(count(b, /<svg /)).toBe(2);
    expect(b).toContain('threshold 0.90');
    expect(b).toContain(`chosen budget: ${coarse.budget} epochs`);
    expect(b).toContain('chosen: threshold reached');
    expect(count(b, /<tr><td class="num">\d+<\/td>/)).toBe(coarse.decision.taus.length);
  });
  it('coarse: accuracy and predictor per iteration, one table row per iteration', async () => {
    const b = s.coarse.body;
    expect(count(b, /<svg /)).toBe(2);
    expect(b).toContain('0 (early-stop set)');
    expect(count(b, /<tr><td>\d/)).toBe(1 + V3_FIXTURE.iterations);
  });
  it('predictor: predicted vs measured of every predicted candidate, y = x', async () => {
    const b = s.predictor.body;
    const [chart] = charts(b);
    expect(marks(chart, 'points')).toHaveLength(PREDICTED);
    expect(marks(chart, 'diagonal')).toHaveLength(1);
    expect(texts(chart, 'legend-label')).toContain('y = x');
    expect(texts(chart, 'axis-title')).toEqual(['predicted accuracy %', 'measured accuracy % (early-stopping budget)']);
    expect(b).toContain(`${PREDICTED} candidates predicted before training`);
  });
  it('pareto: accuracy vs FLOPs and vs LUT latency, fronts over the trained candidates, found arch ringed', async () => {
    const b = s.pareto.body;
    expect(count(b, /<svg /)).toBe(2);
    const cs = charts(b);
    expect(cs.map((c) => marks(c, 'pareto').length)).toEqual([1, 1]);
    expect(cs.map((c) => marks(c, 'highlight').length)).toEqual([1, 1]);
    expect(cs.map((c) => layerTexts(c, 'highlight_tag'))).toEqual([['found (predicted)'], ['found (predicted)']]);
    expect(cs.map((c) => marks(c, 'points').length)).toEqual([TRAINED, TRAINED]);
    expect(cs.map((c) => texts(c, 'axis-title')[0])).toEqual(['FLOPs', 'latency (ms, LUT)']);
    expect(b).toContain('Pareto front over FLOPs');
    expect(b).not.toContain('No accuracy–latency front');
  });
  it('evolution: predicted score and children per generation; the final population', async () => {
    const b = s.evolution.body;
    expect(count(b, /<svg /)).toBe(2);
    expect(b).toContain('mutation rate');
    expect(b).toContain('<td>found</td>');
    expect(count(b, /<tr><td>(found|#\d+)<\/td>/)).toBe(10);
  });
  it('training, and the page is self-contained and deterministic', async () => {
    expect(s.training.body).toContain('test (final) 88.61%');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i); // url(#…): a chart's own gradient
    expect(await buildReport(dir)).toBe(html);
  });
});

describe('V3 report without a latency table', () => {
  it('draws the FLOPs front and says why there is no latency front', async () => {
    const s = sections(await buildReport(fresh()));
    for (const id of IDS) expect(s[id].status, id).toBe('ok');
    expect(count(s.pareto.body, /<svg /)).toBe(1);
    expect(s.pareto.body).toContain('No accuracy–latency front: the run has no latency table');
    expect(s.pareto.body).toContain('measured end to end: 0.912 ms');
  });
});

describe('V3 partial runs', () => {
  it('config only: every section but the summary says what is missing', async () => {
    const dir = fresh({ stopAt: 'proxy' });
    rmSync(join(dir, 'events.jsonl'));
    const s = sections(await buildReport(dir));
    expect(s.summary.status).toBe('ok');
    for (const id of IDS.slice(1)) expect(s[id].status, id).toBe('missing');
    expect(s.arch.body).toContain('the fine stage has not found an architecture yet');
    expect(s['early-stop'].body).toContain('no autotrain/early-stop-chosen event');
    expect(s.evolution.body).toContain('the coarse stage has not completed');
  });
  it('proxy pretrained, early-stopping set still training: nothing to draw yet but the phase chips', async () => {
    const s = sections(await buildReport(fresh({ stopAt: 'proxy' })));
    expect(s.summary.body).toContain('✓ proxy pretraining · 2000 archs');
    expect(s.summary.body).toContain('○ early-stop rule');
    expect(s.coarse.status).toBe('missing');
  });
  it('stopped after the first coarse iteration: early stop, coarse (partial), predictor and front drawn; no fine stage', async () => {
    const s = sections(await buildReport(fresh({ stopAt: 'iteration' })));
    expect(s['early-stop'].status).toBe('ok');
    expect(s.coarse.status).toBe('partial');
    expect(s.coarse.body).toContain('1 of 3 coarse iterations logged');
    expect(s.predictor.status).toBe('ok');
    expect(s.pareto.status).toBe('ok');
    expect(s.pareto.body).not.toContain('found (predicted)');
    for (const id of ['arch', 'evolution', 'training']) expect(s[id].status, id).toBe('missing');
    expect(s.summary.body).toContain('○ coarse stage · 1/3 iterations');
  });
  it('final training interrupted with a stage error', async () => {
    const s = sections(await buildReport(fresh({ trainEpochs: 2, errorStage: 'train' })));
    expect(s.training.status).toBe('partial');
    expect(s.summary.body).toContain('train failed: QUEUE: worker lost &lt;redis&gt;');
    expect(s.arch.status).toBe('ok');
    expect(s.evolution.status).toBe('ok');
  });
  it('coarse and fine results come from coarse.json and fine.json when the log lacks their events', async () => {
    const dir = fresh();
    const keep = (l: string) => !/"type":"(autotrain|evolution)\//.test(l);
    writeFileSync(join(dir, 'events.jsonl'), readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(keep).join('\n'));
    const s = sections(await buildReport(dir));
    expect(s['early-stop'].status).toBe('ok');
    expect(s.coarse.status).toBe('ok');
    expect(s.pareto.status).toBe('ok');
    expect(marks(charts(s.pareto.body)[0], 'points')).toHaveLength(TRAINED);
    expect(s.evolution.status).toBe('partial');
    expect(s.evolution.body).toContain('the result comes from fine.json');
  });
});

describe('V3 report: the found arch is the exported one', () => {
  it('when a coarse candidate was chosen over the evolution’s best, every figure of the arch section describes that candidate', async () => {
    const { getJointSpacePreset, jointArch } = await import('@fbnet/autotrain');
    const { archCost } = await import('@fbnet/shape-propagation');
    const { siCount } = await import('./format.ts');
    const dir = fresh({ lut: true });
    const result = readJson(dir, 'result.json');
    const coarse = readJson(dir, 'coarse.json');
    const fine = readJson(dir, 'fine.json');
    const pick = coarse.samples.find((c: { point: unknown }) => JSON.stringify(c.point) !== JSON.stringify(fine.best.point));
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, point: pick.point, chosenFrom: 'coarse' }));
    writeFileSync(join(dir, 'fine.json'), JSON.stringify({ ...fine, chosen: { point: pick.point, accuracy: pick.accuracy, source: 'coarse' } }));
    rmSync(join(dir, 'arch.json'));
    const space = getJointSpacePreset(readJson(dir, 'config.json').options.space);
    const want = archCost(jointArch(space, pick.point));
    const best = archCost(jointArch(space, fine.best.point));
    expect(want.flops).not.toBe(best.flops);
    const a = sections(await buildReport(dir)).arch.body;
    expect(a).toContain('best coarse-stage candidate');
    expect(a).toContain(siCount(want.flops));
    expect(a).toContain('none: chosen by measurement');
  });

  it('with confirmation, says the arch was the best mean of two seeds and which single score it had', async () => {
    const dir = fresh({ lut: true });
    const result = readJson(dir, 'result.json');
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, chosenFrom: 'verified', confirmed: { candidates: 4, pickRank: 3 } }));
    const a = sections(await buildReport(dir)).arch.body;
    expect(a).toContain('of the 4 best single scores, each trained again with another seed, the best mean of two (the 3rd best single score)');
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, chosenFrom: 'verified', confirmed: { candidates: 2, pickRank: 1 } }));
    expect(sections(await buildReport(dir)).arch.body).toContain('the best mean of two (also the best single score)');
  });

  it('with a horizon step, says what the contenders scored at the final length and which recipe was trained', async () => {
    const dir = fresh({ lut: true });
    const result = readJson(dir, 'result.json');
    const horizon = { contenders: 4, epochs: 42, accuracy: 0.9123, pickRank: 2, defaultAccuracy: 0.905, recipeFrom: 'search' };
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, chosenFrom: 'verified', confirmed: { candidates: 4, pickRank: 1 }, horizon }));
    let a = sections(await buildReport(dir)).arch.body;
    expect(a).toContain('trained for the final training&#39;s 42 epochs on the candidates&#39; data, the best of 4 contenders: 91.23% (the default recipe on the chosen arch: 90.50%)');
    expect(a).toContain('Trained from scratch with the found recipe');
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, chosenFrom: 'verified', horizon: { ...horizon, accuracy: 0.915, pickRank: 4, recipeFrom: 'default' } }));
    a = sections(await buildReport(dir)).arch.body;
    expect(a).toContain('the best of 4 contenders: 91.50% with the space&#39;s default recipe, which beat every searched recipe there');
    expect(a).toContain('Trained from scratch with the space&#39;s default recipe');
    // The predictor's score was of a searched recipe, not of this point: none is shown.
    expect(a).toMatch(/Predicted acc\.<\/div><div class="fact-value">–/);
  });
});

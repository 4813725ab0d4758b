import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { count, outlines, panelTitles, sections } from '../test/report-test-support.ts';
import { makeV2Run, V2_FIXTURE, type V2FixtureOptions } from '../test/fixtures-v2.ts';
import { buildReport, reportKindFor, REPORT_KINDS, V2_REPORT } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-report-v2-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (o?: V2FixtureOptions) => makeV2Run(join(root, `run-${n++}`), o);
const searchJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8'));
const IDS = ['summary', 'arch', 'channels', 'blocks', 'supernet', 'sampled', 'lut', 'training'];

describe('V2 report of a complete FLOPs-aware run', async () => {
  const dir = fresh();
  const html = await buildReport(dir);
  const s = sections(html);
  const derived = searchJson(dir).derived;

  it('is the registered V2 kind, with every section drawn', async () => {
    expect(reportKindFor('search v2')).toBe(V2_REPORT);
    expect(REPORT_KINDS.get('search v2')).toBe(V2_REPORT);
    expect(html).toContain('<title>FBNetV2 search · run-0</title>');
    expect(Object.keys(s)).toEqual(IDS);
    for (const [id, sec] of Object.entries(s)) expect(sec.status, id).toBe('ok');
  });
  it('summary: headline figures, space, resource, chosen resolution, phases', async () => {
    const b = s.summary.body;
    expect(b).toContain('84.37%');
    expect(b).toContain('fbnet-v2-fmnist');
    expect(b).toContain('4.0·10^11 archs, 7 searchable layers');
    expect(b).toMatch(/Resource<\/div><div class="fact-value">flops</);
    expect(b).toContain(`${derived.resolution}×${derived.resolution}`);
    expect(b).toContain('✓ supernet · 8/8 epochs');
    expect(b).toContain(`✓ arch derived · ${V2_FIXTURE.sampled} sampled`);
    expect(b).toContain('✓ latency measured · lut-arch.json');
    expect(b).not.toContain('latency table ·'); // a FLOPs-aware search needs no table of the space
  });
  it('derived arch: diagram with per-layer P_α, width options and LUT ms; the resolution it runs at', async () => {
    const b = s.arch.body;
    expect(b).toContain('<div class="arch">');
    expect(count(b, /L\d · P [\d.]+(\/[\d.]+)*/)).toBe(V2_FIXTURE.layers);
    expect(b).toContain('w 12 of 8/12/16');
    expect(b).toMatch(/ · [\d.]+ ms</);
    expect(b).toContain(`Runs at ${derived.resolution}×${derived.resolution}`);
  });
  it('channels: one stacked chart per layer plus the resolution chart; final widths heatmap with the derived widths outlined and non-options grey', async () => {
    const b = s.channels.body;
    // One panel per layer in the widths' small multiples, then the resolution chart.
    expect(panelTitles(b).filter((t) => /^L\d/.test(t))).toHaveLength(V2_FIXTURE.layers);
    expect(count(b, /class="chart chart-stacked"/)).toBe(2);
    expect(outlines(b)).toBe(V2_FIXTURE.layers);
    expect(b).toContain('64 ch');
    expect(b).toContain('fill="#eeeeee"'); // L0 cannot be 64 wide
    expect(b).toMatch(/Input resolution → \d+ px [\d.]+/);
    expect(b).not.toContain('undefined');
  });
  it('blocks: ops and expansions per layer, derived choices outlined (no expansion mark on a skip)', async () => {
    const b = s.blocks.body;
    expect(panelTitles(b)).toHaveLength(2 * V2_FIXTURE.layers);
    const skips = derived.ops.filter((op: string) => op === 'skip').length;
    expect(outlines(b)).toBe(V2_FIXTURE.layers + V2_FIXTURE.layers - skips);
    expect(b).toContain('#f28e2b'); // k5 in the arch diagram's orange
  });
  it('supernet: effective FLOPs, params, CE, loss, accuracy, throughput; no E[LAT] without a table', async () => {
    const b = s.supernet.body;
    expect(count(b, /<svg /)).toBe(6);
    expect(b).toContain('Effective FLOPs');
    expect(b).toContain('argmax P_α');
    expect(b).not.toContain('Expected latency');
  });
  it('sampled: accuracy vs FLOPs with the front and the derived arch; a table of them', async () => {
    const b = s.sampled.body;
    expect(count(b, /<svg /)).toBe(1);
    expect(count(b, /role-mark pareto_marks/)).toBe(1);
    expect(b).toContain('>derived</text>');
    expect(count(b, /<tr><td>#\d+<\/td>/)).toBe(V2_FIXTURE.sampled);
  });
  it("lut: the derived arch's own table, step by step, against the measured latency", async () => {
    const b = s.lut.body;
    expect(b).toContain('lut-arch.json: a table of the derived arch');
    expect(b).toContain('LAT(a) = ');
    expect(b).toContain('measured end to end');
    expect(b).toContain('head (pool + fc)');
  });
  it('training: curves and final figures', async () => {
    expect(s.training.body).toContain('test (final) 84.37%');
  });
  it('is self-contained and deterministic', async () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i); // url(#…): a chart's own gradient
    expect(await buildReport(dir)).toBe(html);
  });
});

describe('V2 report of a latency-aware run', async () => {
  const s = sections(await buildReport(fresh({ latency: true })));
  it('draws E[LAT], accuracy vs LUT latency and the table of the space', async () => {
    for (const id of IDS) expect(s[id].status, id).toBe('ok');
    expect(s.summary.body).toContain('✓ latency table · lut.json');
    expect(s.supernet.body).toContain('Expected latency E[LAT]');
    expect(count(s.supernet.body, /<svg /)).toBe(7);
    expect(count(s.sampled.body, /<svg /)).toBe(2);
    expect(s.sampled.body).toContain('latency (ms, LUT)');
    expect(s.lut.body).toContain('lut.json: the table of the search space');
  });
});

describe('V2 partial runs', () => {
  it('config only: every section but the summary says what is missing', async () => {
    const dir = fresh({ supernetEpochs: 0 });
    rmSync(join(dir, 'events.jsonl'));
    const s = sections(await buildReport(dir));
    expect(s.summary.status).toBe('ok');
    for (const id of IDS.slice(1)) expect(s[id].status, id).toBe('missing');
    expect(s.channels.body).toContain('no dmasking/distributions events');
    expect(s.supernet.body).toContain('no dmasking/epoch-ended events');
    expect(s.sampled.body).toContain('no search/arch-sampled');
    expect(s.lut.body).toContain('no latency table in the run');
    expect(s.summary.body).toContain('○ supernet');
  });
  it('search stopped after 3 of 8 epochs: distributions and curves drawn, marked partial', async () => {
    const s = sections(await buildReport(fresh({ supernetEpochs: 3 })));
    expect(s.channels.status).toBe('partial');
    expect(s.channels.body).toContain('P_α logged for 3 of 8 epochs');
    expect(s.blocks.status).toBe('partial');
    expect(s.supernet.status).toBe('partial');
    expect(s.supernet.body).toContain('3 of 8 supernet epochs logged');
    for (const id of ['arch', 'sampled', 'lut', 'training']) expect(s[id].status, id).toBe('missing');
    expect(s.summary.body).toContain('○ supernet · 3/8 epochs');
  });
  it('training interrupted with a stage error', async () => {
    const s = sections(await buildReport(fresh({ trainEpochs: 2, errorStage: 'train' })));
    expect(s.training.status).toBe('partial');
    expect(s.training.body).toContain('2 of 5 epochs logged');
    expect(s.summary.body).toContain('train failed: NUMERIC: loss became NaN &lt;epoch 3&gt;');
    expect(s.summary.body).toContain('✗ training');
    // No lut-arch.json yet (measured after training): the LUT section says so.
    expect(s.lut.status).toBe('missing');
    expect(s.arch.status).toBe('ok');
  });
  it('sampled and derived archs come from search.json when the log lacks them', async () => {
    const dir = fresh();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => !l.includes('"search/arch-'));
    writeFileSync(join(dir, 'events.jsonl'), lines.join('\n'));
    const s = sections(await buildReport(dir));
    expect(s.sampled.status).toBe('ok');
    expect(s.sampled.body).toContain('>derived</text>');
    expect(outlines(s.blocks.body)).toBeGreaterThan(0);
  });
});

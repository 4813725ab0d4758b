import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, makeV1Run } from '../test/fixtures-v1.ts';
import { outlines, panelTitles, sections } from '../test/report-test-support.ts';
import { charts, layerTexts, marks, texts } from '../test/svg.ts';
import {
  buildReport,
  buildSections,
  buildV1Report,
  GENERIC_REPORT,
  loadRun,
  lutLayerMatrix,
  findSearchSpace,
  registerReportKind,
  REPORT_KINDS,
  V1_REPORT,
  writeReport,
  type ReportKind,
} from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (o?: Parameters<typeof makeV1Run>[1]) => makeV1Run(join(root, `run-${n++}`), o);


describe('V1 report of a complete run', async () => {
  const dir = fresh();
  const html = await buildReport(dir);
  const s = sections(html);

  it('has every V1 section, all drawn', async () => {
    expect(Object.keys(s)).toEqual(['summary', 'arch', 'theta', 'supernet', 'sampled', 'baselines', 'lut', 'training']);
    for (const [id, sec] of Object.entries(s)) expect(sec.status, id).toBe('ok');
    expect(html).toContain('<title>FBNetV1 search · run-0</title>');
  });
  it('summary: test accuracy, params, FLOPs, measured and predicted latency, backend, timings', async () => {
    const b = s.summary.body;
    expect(b).toContain('87.12%');
    expect(b).toMatch(/Latency<\/div><div class="fact-value">[\d.]+ ms<\/div><div class="fact-hint">measured, batch 1 · LUT [\d.]+ ms/);
    expect(b).toContain('fbnet-v1-fmnist');
    expect(b).toContain('lut 5 min 01 s · search 6 min 18 s · train 2 min 34 s');
    expect(b).toContain('✓ supernet · 8/8 epochs');
    expect(b).toContain('✓ export');
  });
  it('θ: one small chart per layer plus the final P_θ heatmap with the derived choice outlined', async () => {
    const layers = 7;
    const titles = panelTitles(s.theta.body);
    expect(titles).toHaveLength(layers);
    for (const t of titles) expect(t).toMatch(/^L\d+ .*→ (k[35]_e\d(_g2)?|skip) [01]\.\d\d$/);
    expect(outlines(s.theta.body)).toBe(layers);
  });
  it('baselines: the found arch against the uniform/random nets and their Pareto front', async () => {
    const b = s.baselines.body;
    expect(b).toContain('Best baseline at or below the found arch’s latency: <b>uniform k5_e6</b>, 87.50% at 0.9 ms');
    expect(b).toContain('<b>-0.38 pt</b>');
    const [chart] = charts(b);
    expect(marks(chart, 'pareto')).toHaveLength(1);
    expect(layerTexts(chart, 'highlight_tag')).toEqual(['found']);
    expect(texts(chart, 'legend-label')).toEqual(['uniform net', 'random arch', 'found', 'Pareto front']);
    expect(texts(chart, 'axis-title')).toEqual(['batch-1 latency (ms, measured)', 'test accuracy %']);
    // Table rows fastest first; the random net off the front is not marked.
    expect(b.indexOf('uniform k3_e1')).toBeLessThan(b.indexOf('random 1'));
    expect(b).toMatch(/random 1<\/td>(?:(?!<\/tr>).)*<td[^>]*><\/td><\/tr>/s);
  });
  it('loss/latency curves, scatter with the derived arch, LUT heatmap, training curves', async () => {
    expect(s.supernet.body).toContain('Expected latency (eq. 9)');
    expect((s.supernet.body.match(/<svg /g) ?? []).length).toBe(6);
    expect(s.supernet.body).toContain('P_θ entropy per layer');
    const [sampled] = charts(s.sampled.body);
    expect(marks(sampled, 'pareto')).toHaveLength(1);
    expect(marks(sampled, 'highlight')).toHaveLength(1);
    expect(layerTexts(sampled, 'highlight_tag')).toEqual(['derived']);
    const [lut] = charts(s.lut.body);
    expect(marks(lut, 'outline')).toHaveLength(7);
    expect(marks(lut, 'cells')).toHaveLength(7 * 9);
    expect(texts(lut, 'axis-label')).toContain('L1 16→24 s2 @14×14');
    expect(s.training.body).toContain('test (final) 87.12%');
    expect(s.arch.body).toContain('ir_k5 e6 24');
  });
  it('is self-contained: no scripts, no external resources, everything escaped', async () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i); // url(#…): a chart's own gradient
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).toContain('synthetic &lt;fixture&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<fixture>');
    expect(html).toContain('Synthetic CPU &lt;x86_64&gt;');
  });
  it('is deterministic: the same run gives the same bytes', async () => {
    expect(await buildReport(dir)).toBe(html);
  });
});

describe('writeReport', () => {
  it('writes report.html atomically into the run and returns its path', async () => {
    const dir = fresh();
    const p = await writeReport(dir);
    expect(p).toBe(join(dir, 'report.html'));
    expect(readFileSync(p, 'utf8')).toBe(await buildReport(dir));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await writeReport(dir); // overwrites
    expect(existsSync(p)).toBe(true);
  });
  it('throws a usage error for a directory that is not a run', async () => {
    await expect(writeReport(join(root, 'nope'))).rejects.toThrow(/not a run directory/);
  });
});

describe('partial runs', () => {
  it('config only: every section says what is missing, nothing crashes', async () => {
    const dir = join(root, `run-${n++}`);
    makeV1Run(dir, { lut: false, supernetEpochs: 0 });
    rmSync(join(dir, 'events.jsonl'));
    const s = sections(await buildReport(dir));
    expect(s.summary.status).toBe('ok');
    for (const id of ['arch', 'theta', 'supernet', 'sampled', 'baselines', 'lut', 'training']) expect(s[id].status, id).toBe('missing');
    expect(s.theta.body).toContain('no supernet/theta events');
    expect(s.lut.body).toContain('no lut.json');
    expect(s.training.body).toContain('has not been trained yet');
    expect(s.summary.body).toContain('○ training');
  });
  it('supernet stopped after 3 of 8 epochs: θ and curves drawn and marked partial', async () => {
    const dir = fresh({ supernetEpochs: 3 });
    const s = sections(await buildReport(dir));
    expect(s.theta.status).toBe('partial');
    expect(s.theta.body).toContain('θ logged for 3 of 8 epochs');
    expect(s.supernet.status).toBe('partial');
    expect(s.lut.status).toBe('ok');
    expect(s.arch.status).toBe('missing');
    expect(s.sampled.status).toBe('missing');
    expect(s.training.status).toBe('missing');
  });
  it('training interrupted after 2 epochs, with a stage error', async () => {
    const dir = fresh({ trainEpochs: 2, errorStage: 'train' });
    const s = sections(await buildReport(dir));
    expect(s.training.status).toBe('partial');
    expect(s.training.body).toContain('2 of 6 epochs logged');
    expect(s.summary.body).toContain('train failed: NUMERIC: loss became NaN at epoch 3 &lt;step 12&gt;');
    expect(s.summary.body).toContain('✗ training');
  });
  it('without lut.json the space is unknown to the LUT section but θ still draws', async () => {
    const dir = fresh({ lut: false });
    const s = sections(await buildReport(dir));
    expect(s.lut.status).toBe('missing');
    expect(s.theta.status).toBe('ok');
    expect(s.theta.body).toContain('L0 → ');
  });
  it('a space named in the options lays out the LUT rows even when lut.json has no sources', async () => {
    const dir = fresh({ options: { space: FIXTURE.space } });
    const lut = JSON.parse(readFileSync(join(dir, 'lut.json'), 'utf8'));
    lut.sources = [];
    writeFileSync(join(dir, 'lut.json'), JSON.stringify(lut));
    expect(sections(await buildReport(dir)).lut.status).toBe('ok');
  });
  it('corrupt artefacts and a torn last event line become notices, not exceptions', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'lut.json'), '{"entries": [');
    writeFileSync(join(dir, 'arch.json'), JSON.stringify({ input_size: 28, blocks: [[['nope_k9', 16, 1, 1]]] }));
    writeFileSync(join(dir, 'events.jsonl'), readFileSync(join(dir, 'events.jsonl'), 'utf8') + '{"type":"train/epo');
    const html = await buildReport(dir);
    const s = sections(html);
    expect(s.summary.body).toContain('lut.json: not valid JSON');
    expect(s.summary.body).toContain('arch.json: invalid arch def');
    expect(s.lut.status).toBe('missing');
    // arch.json is unusable: the diagram falls back to the derived event's arch.
    expect(s.arch.status).toBe('ok');
    expect(s.training.status).toBe('ok');
  });
  it('sampled/derived archs come from search.json when the log lacks them', async () => {
    const dir = fresh();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => !l.includes('"search/arch-'));
    writeFileSync(join(dir, 'events.jsonl'), lines.join('\n'));
    const s = sections(await buildReport(dir));
    expect(s.sampled.status).toBe('ok');
    expect(s.sampled.body).toContain('>derived</text>');
  });
});

describe('dispatch and extension points', () => {
  it('dispatches on config.command; unknown commands get the generic report', async () => {
    const dir = fresh();
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, command: 'train' }));
    const html = await buildReport(dir);
    expect(html).toContain('no dedicated report for &quot;train&quot; yet');
    expect(Object.keys(sections(html))).toEqual(GENERIC_REPORT.sections.map((b) => b.id));
    // buildV1Report ignores the command.
    expect(Object.keys(sections(await buildV1Report(dir)))).toEqual(V1_REPORT.sections.map((b) => b.id));
  });
  it('a registered kind is used, a duplicate is refused, a throwing section is contained', async () => {
    const kind: ReportKind = {
      command: 'test kind',
      title: 'Test',
      sections: [
        { id: 'boom', title: 'Boom', build: () => { throw new Error('bad <data>'); } },
        { id: 'fine', title: 'Fine', build: () => ({ status: 'ok', html: '<p>fine</p>' }) },
      ],
    };
    registerReportKind(kind);
    expect(() => registerReportKind(kind)).toThrow(/already registered/);
    expect(REPORT_KINDS.get('test kind')).toBe(kind);
    const run = loadRun(fresh());
    const secs = await buildSections(run, kind);
    expect(secs[0]).toMatchObject({ id: 'boom', status: 'missing', note: 'could not draw this section: bad <data>' });
    expect(secs[1].status).toBe('ok');
  });
});

describe('lutLayerMatrix', () => {
  it('finds every layer × candidate entry of the space by content', async () => {
    const run = loadRun(fresh());
    const space = findSearchSpace(run)!;
    const m = lutLayerMatrix(space, run.lut);
    expect(m.layers).toHaveLength(7);
    expect(m.candidates).toHaveLength(9);
    expect(m.missing).toBe(0);
    expect(m.cells.flat().every((c) => c && c.medianMs > 0 && c.p10Ms! <= c.medianMs)).toBe(true);
    // Bigger blocks cost more: k5_e6 over k3_e1 at the same layer.
    expect(m.cells[1][m.candidates.indexOf('k5_e6')]!.medianMs).toBeGreaterThan(m.cells[1][m.candidates.indexOf('k3_e1')]!.medianMs);
    expect(m.layers[1]).toMatchObject({ input: [14, 14, 16], outChannels: 24, stride: 2 });
  });
  it('counts entries the table lacks', async () => {
    const run = loadRun(fresh());
    const lut = run.lut as { entries: { spec?: { op: string } }[] };
    lut.entries = lut.entries.filter((e) => e.spec?.op !== 'skip');
    const m = lutLayerMatrix(findSearchSpace(run)!, lut);
    expect(m.missing).toBe(7);
    expect(m.cells.every((row) => row[m.candidates.indexOf('skip')] === undefined)).toBe(true);
  });
});

describe('P_θ entropy', () => {
  it('is Shannon entropy in bits: uniform over 9 is log2 9, one-hot is 0, (½, ¼, ¼) is 1.5', async () => {
    const { entropyBits } = await import('./sections/supernet-curves.ts');
    expect(entropyBits(new Array(9).fill(1 / 9))).toBeCloseTo(3.169925001442312, 12);
    expect(entropyBits([1, 0, 0])).toBe(0);
    expect(entropyBits([0.5, 0.25, 0.25])).toBeCloseTo(1.5, 12);
  });
});

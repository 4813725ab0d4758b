import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertSerializable, runStage, type EventBase } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { makeV1Run } from '../test/fixtures-v1.ts';
import { buildReport, reportStage } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-report-stage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reportStage', () => {
  it('renders the run’s report as `fbnet report` does; the result is the report’s path relative to the run', async () => {
    const dir = makeV1Run(join(root, 'run'));
    const run = RunDir.open(dir, { lock: false });
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
    const events: EventBase[] = [];
    const r = await runStage(reportStage({}, { seed: 0, backend: { id: 'cpu' }, run }), { onEvent: (e) => events.push(e) });
    expect(r).toEqual({ reportPath: 'report.html' });
    events.forEach((e) => assertSerializable(e));
    expect(events.map((e) => e.type)).toEqual(['stage/started', 'stage/result']);
    const html = readFileSync(join(dir, r.reportPath), 'utf8');
    expect(html).toBe(await buildReport(dir));
    expect(html).toContain('<title>FBNetV1 search · run</title>');
  });

  it('needs a run directory', async () => {
    await expect(runStage(reportStage({}, { seed: 0, backend: { id: 'cpu' } }))).rejects.toThrow(/needs a run directory/);
  });
});

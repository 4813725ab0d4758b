import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../test/png.ts';
import { makeV1Run } from '../test/fixtures-v1.ts';
import { makeV2Run } from '../test/fixtures-v2.ts';
import { makeV3Run } from '../test/fixtures-v3.ts';
import { writeReport } from './index.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!existsSync(CHROMIUM))('reports in headless Chromium (skipped: no /usr/bin/chromium)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fbnet-report-browser-'));
  const profile = mkdtempSync(join(tmpdir(), 'fbnet-chromium-'));
  let browser: BrowserContext;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  /**
   * Load a report offline and check what a reader would notice: console errors, requests, charts
   * without a size, sideways overflow, sections that did not draw, a blank screenshot.
   */
  async function check(name: string, dir: string, o: { sections: number; minSvgs: number; maxHeight: number }): Promise<void> {
    const reportPath = await writeReport(dir);
    const html = readFileSync(reportPath, 'utf8');
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(reportPath).href;
      await page.goto(url, { waitUntil: 'load' });
      // The page's CSP forbids any fetch; a violation would show up as a console error.
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      const info = await page.evaluate(() => {
        const svgs = Array.from(document.querySelectorAll('svg'));
        return {
          svgs: svgs.length,
          tiny: svgs.filter((s) => s.getBoundingClientRect().width < 20 || s.getBoundingClientRect().height < 20).map((s) => s.getAttribute('aria-label')),
          height: document.documentElement.scrollHeight,
          width: document.documentElement.scrollWidth,
          sections: document.querySelectorAll('section.report-section').length,
          notDrawn: Array.from(document.querySelectorAll('section.report-section')).filter((s) => s.getAttribute('data-status') !== 'ok').map((s) => s.id),
          header: getComputedStyle(document.querySelector('header.top')!).backgroundColor,
        };
      });
      expect(info.svgs).toBe((html.match(/<svg /g) ?? []).length);
      expect(info.svgs).toBeGreaterThan(o.minSvgs);
      expect(info.tiny).toEqual([]);
      expect(info.sections).toBe(o.sections);
      expect(info.notDrawn).toEqual([]);
      expect(info.height).toBeGreaterThan(2500);
      expect(info.height).toBeLessThan(o.maxHeight);
      expect(info.width).toBeLessThanOrEqual(1280); // nothing overflows the viewport sideways
      expect(info.header).toBe('rgb(31, 42, 60)'); // the inline stylesheet applied

      const shot = join(root, `${name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(100_000);
      const png = decodePng(readFileSync(shot));
      expect(png.width).toBe(1280);
      expect(png.height).toBe(info.height);
      expect(png.rgb(5, 5)).toEqual([31, 42, 60]);
      // Not blank: a grid of samples finds many colours and plenty of non-background ink.
      const colours = new Set<string>();
      let ink = 0;
      let total = 0;
      for (let y = 0; y < png.height; y += 7) {
        for (let x = 0; x < png.width; x += 7) {
          const [r, g, b] = png.rgb(x, y);
          colours.add(`${r >> 3},${g >> 3},${b >> 3}`);
          total++;
          if (r + g + b < 600) ink++;
        }
      }
      expect(colours.size).toBeGreaterThan(60);
      expect(ink / total).toBeGreaterThan(0.03);
    } finally {
      await page.close();
    }
  }

  // Small multiples (P_θ per layer, widths per layer) are one faceted chart each, so a page has fewer <svg> than panels.
  it('V1: renders offline without errors; every chart has a size; the screenshot is a real picture', async () => {
    await check('v1', makeV1Run(join(root, 'v1')), { sections: 8, minSvgs: 12, maxHeight: 14000 });
  });
  it('V2: the same, for a latency-aware DMasking run', async () => {
    await check('v2', makeV2Run(join(root, 'v2'), { latency: true }), { sections: 8, minSvgs: 18, maxHeight: 12000 });
  });
  it('V3: the same, for a JointNAS run with a latency table', async () => {
    await check('v3', makeV3Run(join(root, 'v3'), { lut: true }), { sections: 8, minSvgs: 10, maxHeight: 12000 });
  });
});

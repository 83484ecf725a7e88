import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { expectedTerminalFlood, floodLines } from '../fixtures/flood.mjs';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { FLOOD_SCRIPT } from '../raw';
import { releaseWorker, spawnWorker } from '../relay';
import { msSince, round } from '../stats';
import { READY_LINE } from '../clients/ready';
import type { RunningServer } from '../server';
import { startRawPage, type RawPage } from '../raw-page';

const MiB = 1024 * 1024;
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * The dashboard in Debian's Chromium: page load to the first paint of an attached worker's terminal,
 * then a flood rendered by xterm.js with the page's own flow control. Progress is read from the
 * page's test hooks (`window.__agentRelay.streams[name].rendered`: bytes xterm has parsed).
 */
export async function browserSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const size = (ctx.args.quick ? 4 : 16) * MiB;
  const expected = expectedTerminalFlood(floodLines(size));
  const server = await ctx.server();
  const name = 'browser-flood';
  let browser: Browser | undefined;
  let raw: RawPage | undefined;
  try {
    await spawnWorker(server, { name, cli: process.execPath, args: [FLOOD_SCRIPT, String(size), '', '--wait'] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, start, domMs, rowMs } = await loadDashboard(context, server, name);
    await waitForScreen(page, name, READY_LINE.length);
    out.first_paint_ms = round(msSince(start));
    ctx.note(`browser: DOM ready ${round(domMs)} ms, worker row shown ${round(rowMs)} ms, terminal painted ${out.first_paint_ms} ms after navigation`);

    // The raw page's render rate (raw-page.ts: xterm.js over a plain WebSocket) before and after ours.
    raw = await startRawPage();
    const rawRates = [await rawRender(context, raw, size, expected.bytes, ctx.args.quick)];
    await page.bringToFront();
    const res = await fetch(`${server.origin}/api/workers/${name}/input`, { method: 'POST', headers: server.headers, body: JSON.stringify({ data: 'g' }) });
    if (!res.ok) throw new MeasureError(`browser: could not start the flood (input -> ${res.status})`);
    const go = process.hrtime.bigint();
    const end = READY_LINE.length + expected.bytes;
    await page.waitForFunction(
      ({ name, end }) => (window.__agentRelay?.streams[name]?.rendered ?? 0) >= end,
      { name, end },
      { polling: 50, timeout: ctx.args.quick ? 30_000 : 90_000 },
    );
    const seconds = msSince(go) / 1000;
    const stats = await page.evaluate((name) => {
      const s = window.__agentRelay!.streams[name];
      return { resyncs: s.resyncs, gaps: s.gaps, bytes: s.bytes };
    }, name);
    if (stats.resyncs || stats.gaps) ctx.note(`browser: the page was resynchronised ${stats.resyncs} time(s), ${stats.gaps} gap(s) during the flood`);
    out.render_mbps = round(expected.bytes / seconds / 1e6);
    rawRates.push(await rawRender(context, raw, size, expected.bytes, ctx.args.quick));
    out.raw_render_mbps = round((rawRates[0] + rawRates[1]) / 2);
    ctx.note(`browser: raw page rendered ${rawRates.map((r) => round(r)).join(' and ')} MB/s (before and after the dashboard's ${out.render_mbps})`);
  } catch (err) {
    if (err instanceof MeasureError) throw err;
    throw new MeasureError(`browser: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await releaseWorker(server, name, true).catch(() => undefined);
  }
}

/**
 * A second visit to the dashboard (the first trades the token for the session cookie and warms the
 * server's caches), then a click on the worker's row. Resolves once the row was clicked; `start` is
 * when the measured navigation began.
 */
async function loadDashboard(context: BrowserContext, server: RunningServer, name: string): Promise<{ page: Page; start: bigint; domMs: number; rowMs: number }> {
  const warm = await context.newPage();
  await warm.goto(`${server.origin}/?token=${server.token}`, { waitUntil: 'load' });
  await warm.close();
  const page = await context.newPage();
  const start = process.hrtime.bigint();
  await page.goto(`${server.origin}/`, { waitUntil: 'commit' });
  await page.waitForLoadState('domcontentloaded');
  const domMs = msSince(start);
  const row = page.getByTestId(`worker-row-${name}`);
  await row.waitFor({ timeout: 20_000 });
  const rowMs = msSince(start);
  await row.click({ timeout: 20_000 });
  return { page, start, domMs, rowMs };
}

/** Until xterm has parsed `bytes` of the worker's output and the frame that shows them was drawn. */
async function waitForScreen(page: Page, name: string, bytes: number): Promise<void> {
  await page.waitForFunction(
    ({ name, bytes }) => {
      const s = window.__agentRelay?.streams[name];
      return !!s && s.rendered >= bytes && !!document.querySelector(`[data-testid="xterm-${name}"] .xterm-screen`);
    },
    { name, bytes },
    { polling: 'raf', timeout: 20_000 },
  );
  // The frame after xterm parsed the bytes is the one that shows them.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
}

/** The dashboard with `name`'s pane open and its first output on screen. */
export async function openDashboardPane(context: BrowserContext, server: RunningServer, name: string): Promise<Page> {
  const { page } = await loadDashboard(context, server, name);
  await waitForScreen(page, name, 0);
  return page;
}

/** The same flood in the raw page: MB/s from the go key until xterm has parsed the last byte. */
async function rawRender(context: BrowserContext, raw: RawPage, size: number, floodBytes: number, quick: boolean): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(`${raw.origin}/?cmd=flood&bytes=${size}`, { waitUntil: 'load' });
    type RawHook = { __raw?: { rendered: number; open: boolean } };
    await page.waitForFunction((ready) => ((window as RawHook).__raw?.rendered ?? 0) >= ready, READY_LINE.length, { polling: 'raf', timeout: 20_000 });
    await page.click('#terminal');
    const go = process.hrtime.bigint();
    await page.keyboard.press('g');
    await page.waitForFunction((end) => ((window as RawHook).__raw?.rendered ?? 0) >= end, READY_LINE.length + floodBytes, { polling: 50, timeout: quick ? 30_000 : 90_000 });
    return floodBytes / (msSince(go) / 1000) / 1e6;
  } finally {
    await page.close();
  }
}

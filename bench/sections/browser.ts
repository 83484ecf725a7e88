import { chromium, type Browser } from '@playwright/test';
import { expectedTerminalFlood, floodLines } from '../fixtures/flood.mjs';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { FLOOD_SCRIPT } from '../raw';
import { releaseWorker, spawnWorker } from '../relay';
import { msSince, round } from '../stats';
import { READY_LINE } from '../clients/ready';

const MiB = 1024 * 1024;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

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
  try {
    await spawnWorker(server, { name, cli: process.execPath, args: [FLOOD_SCRIPT, String(size), '', '--wait'] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // First visit trades the token for the session cookie (and warms the server's caches); the measured load is the next one.
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
    await page.waitForFunction(
      ({ name, ready }) => {
        const s = window.__agentRelay?.streams[name];
        return !!s && s.rendered >= ready && !!document.querySelector(`[data-testid="xterm-${name}"] .xterm-screen`);
      },
      { name, ready: READY_LINE.length },
      { polling: 'raf', timeout: 20_000 },
    );
    // The frame after xterm parsed the bytes is the one that shows them.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    out.first_paint_ms = round(msSince(start));
    ctx.note(`browser: DOM ready ${round(domMs)} ms, worker row shown ${round(rowMs)} ms, terminal painted ${out.first_paint_ms} ms after navigation`);

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
  } catch (err) {
    if (err instanceof MeasureError) throw err;
    throw new MeasureError(`browser: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await releaseWorker(server, name, true).catch(() => undefined);
  }
}

import { chromium, type Browser, type Page } from '@playwright/test';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { startRawPage, type RawPage } from '../raw-page';
import { releaseWorker, spawnWorker } from '../relay';
import { percentile, round } from '../stats';
import { CHROMIUM_ARGS, openDashboardPane } from './browser';

/**
 * Keystroke echo as a person feels it: keys typed in Chromium into a worker running
 * `stty -echo -icanon; cat`, each timed in the page from its keydown to the DOM mutation that shows
 * the character (xterm's DOM renderer writes a row in the animation frame that paints it). Raw
 * baseline in the same run, measured the same way: the xterm.js demo's shape (raw-page.ts). Blocks of
 * keystrokes alternate between the two pages, so both see the same background load.
 */

declare global {
  interface Window {
    __echoProbe?: { samples: number[]; wait(n: number): Promise<number> };
  }
}

/**
 * In the page: time each keydown until the rows under the selector show the typed characters. A
 * string, not a function: tsx would wrap a function's inner closures in its `__name` helper, which
 * the page does not have. The last 8 typed characters (in a cycle of 26) are a suffix the screen
 * shows only once the newest one has arrived.
 */
const PROBE = `(rowsSelector) => {
  const rows = document.querySelector(rowsSelector);
  if (!rows) throw new Error('no ' + rowsSelector + ' in the page');
  const samples = [];
  const waiters = new Map();
  let typed = '';
  let pending = null;
  new MutationObserver(() => {
    if (!pending) return;
    const text = (rows.textContent || '').replace(/\\s+/g, '');
    if (!text.endsWith(pending.expect)) return;
    samples.push(performance.now() - pending.start);
    pending = null;
    const waiter = waiters.get(samples.length);
    if (waiter) waiter(samples[samples.length - 1]);
  }).observe(rows, { childList: true, subtree: true, characterData: true });
  window.addEventListener('keydown', (e) => {
    if (e.key.length !== 1) return;
    typed = (typed + e.key).slice(-8);
    pending = { start: performance.now(), expect: typed };
  }, { capture: true });
  window.__echoProbe = {
    samples,
    wait: (n) => (samples.length >= n ? Promise.resolve(samples[n - 1]) : new Promise((r) => waiters.set(n, r))),
  };
}`;

export async function installProbe(page: Page, rowsSelector: string): Promise<void> {
  await page.evaluate(`(${PROBE})(${JSON.stringify(rowsSelector)})`);
}

export async function typeBlock(page: Page, from: number, count: number, label: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = from; i < from + count; i++) {
    const n = await page.evaluate(() => window.__echoProbe!.samples.length);
    await page.keyboard.press(String.fromCharCode(97 + (i % 26)));
    const ms = await Promise.race([
      page.evaluate((n) => window.__echoProbe!.wait(n), n + 1),
      new Promise<never>((_, reject) => setTimeout(() => reject(new MeasureError(`browser_echo: keystroke ${i} in the ${label} page was not shown within 5 s`)), 5_000)),
    ]);
    out.push(ms);
  }
  return out;
}

export async function browserEchoSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const count = ctx.args.quick ? 200 : 500;
  const blocks = 5;
  const server = await ctx.server();
  const name = 'browser-echo';
  let browser: Browser | undefined;
  let raw: RawPage | undefined;
  try {
    await spawnWorker(server, { name, cli: 'bash', args: ['-c', 'stty -echo -icanon; exec cat'] });
    raw = await startRawPage();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

    const ours = await openDashboardPane(context, server, name);
    await ours.click(`[data-testid="xterm-${name}"]`);
    await ours.waitForFunction((name) => window.__agentRelay?.driving(name) === true, name, { timeout: 20_000 });
    await installProbe(ours, `[data-testid="xterm-${name}"] .xterm-rows`);
    const renderer = await ours.evaluate((name) => document.querySelector(`[data-testid="terminal-${name}"]`)?.getAttribute('data-renderer') ?? 'dom', name);
    if (renderer !== 'dom') ctx.note(`browser_echo: the dashboard chose the ${renderer} renderer; the probe reads the DOM renderer's rows`);

    const rawPage = await context.newPage();
    await rawPage.goto(`${raw.origin}/?cmd=echo`, { waitUntil: 'load' });
    await rawPage.waitForFunction(() => (window as unknown as { __raw?: { open: boolean } }).__raw?.open === true, undefined, { timeout: 20_000 });
    await rawPage.click('#terminal');
    await installProbe(rawPage, '#terminal .xterm-rows');

    // `stty -icanon` runs after the PTY starts, and the first keys warm both pages: not counted.
    await new Promise((r) => setTimeout(r, 300));
    await typeBlock(ours, 0, 20, 'dashboard');
    await typeBlock(rawPage, 0, 20, 'raw');

    const e2e: number[] = [];
    const base: number[] = [];
    const per = Math.ceil(count / blocks);
    for (let b = 0; b < blocks; b++) {
      // bringToFront: a page in the background gets no animation frames.
      await rawPage.bringToFront();
      base.push(...(await typeBlock(rawPage, 20 + b * per, per, 'raw')));
      Object.assign(out, { raw_p50_ms: round(percentile(base, 50)), raw_p99_ms: round(percentile(base, 99)) });
      await ours.bringToFront();
      e2e.push(...(await typeBlock(ours, 20 + b * per, per, 'dashboard')));
      Object.assign(out, { p50_ms: round(percentile(e2e, 50)), p99_ms: round(percentile(e2e, 99)) });
    }
  } catch (err) {
    if (err instanceof MeasureError) throw err;
    throw new MeasureError(`browser_echo: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await releaseWorker(server, name, true).catch(() => undefined);
  }
}

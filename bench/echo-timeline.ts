// Where a keystroke's echo spends its time in the page, for the dashboard and the raw page
// (bench/raw-page.ts) in one run: keydown → WebSocket send → the first message back → the next
// animation frame → the DOM mutation that shows it (the browser_echo probe). With `--no-defer`
// Chromium runs without DeferRendererTasksAfterInput (tasks such as a WebSocket message are held
// after a keydown until the next frame has begun), to show what that policy costs. A diagnostic, not
// part of `npm run bench` (docs/performance.md, "Keystroke echo in the page").
// `node --import tsx bench/echo-timeline.ts [keys] [--no-defer]`
import { chromium, type Page } from '@playwright/test';
import { INIT } from './echo-timeline-init';
import { startRawPage } from './raw-page';
import { releaseWorker, spawnWorker } from './relay';
import { CHROMIUM_ARGS, openDashboardPane } from './sections/browser';
import { installProbe, typeBlock } from './sections/browser-echo';
import { percentile, round } from './stats';
import { makeTempRoot, removeTempRoot, startServer } from './server';

const keys = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 100);
const noDefer = process.argv.includes('--no-defer');

interface Timeline { sends: number[]; msgs: [number, number][]; frames: number[]; keydowns: number[] }

/** Per keystroke of the page's last `count`: each step's p50/p90. */
async function analyse(page: Page, label: string, count: number): Promise<void> {
  const tl = (await page.evaluate(() => (window as unknown as { __tl: Timeline }).__tl)) as Timeline;
  const shown = ((await page.evaluate(() => window.__echoProbe!.samples)) as number[]).slice(-count);
  const keydowns = tl.keydowns.slice(-count);
  const steps: Record<string, number[]> = { total: [], 'keydown→send': [], 'send→message': [], 'message→next frame': [], 'message→shown': [] };
  keydowns.forEach((k, i) => {
    const end = k + shown[i];
    const sent = tl.sends.find((t) => t >= k);
    const msg = sent === undefined ? undefined : tl.msgs.find(([t]) => t >= sent)?.[0];
    const frame = msg === undefined ? undefined : tl.frames.find((t) => t >= msg);
    steps.total.push(shown[i]);
    if (sent !== undefined) steps['keydown→send'].push(sent - k);
    if (sent !== undefined && msg !== undefined && msg <= end) steps['send→message'].push(msg - sent);
    if (msg !== undefined && frame !== undefined && msg <= end) steps['message→next frame'].push(frame - msg);
    if (msg !== undefined && msg <= end) steps['message→shown'].push(end - msg);
  });
  const frames = tl.frames.slice(-300);
  steps['frame interval'] = frames.slice(1).map((t, i) => t - frames[i]);
  const fmt = (a: number[]) => (a.length ? `p50 ${round(percentile(a, 50))} p90 ${round(percentile(a, 90))}` : 'n/a');
  console.log(`${label}: ${Object.entries(steps).map(([k, v]) => `${k} ${fmt(v)}`).join(' | ')}`);
}

const root = makeTempRoot();
const server = await startServer(root, { maxWorkers: 10 });
const raw = await startRawPage();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...(noDefer ? ['--disable-features=DeferRendererTasksAfterInput'] : [])] });
try {
  const name = 'echo-timeline';
  await spawnWorker(server, { name, cli: 'bash', args: ['-c', 'stty -echo -icanon; exec cat'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(INIT);
  const ours = await openDashboardPane(context, server, name);
  await ours.click(`[data-testid="xterm-${name}"]`);
  await ours.waitForFunction((name) => window.__agentRelay?.driving(name) === true, name, { timeout: 20_000 });
  await installProbe(ours, `[data-testid="xterm-${name}"] .xterm-rows`);
  const rawPage = await context.newPage();
  await rawPage.goto(`${raw.origin}/?cmd=echo`, { waitUntil: 'load' });
  await rawPage.waitForFunction(() => (window as unknown as { __raw?: { open: boolean } }).__raw?.open === true);
  await rawPage.click('#terminal');
  await installProbe(rawPage, '#terminal .xterm-rows');
  await new Promise((r) => setTimeout(r, 300));
  // Two alternating blocks per page; the first 10 keys of each page warm it and are not counted.
  for (const page of [rawPage, ours]) {
    await page.bringToFront();
    await typeBlock(page, 0, 10, 'warm');
  }
  const half = Math.ceil(keys / 2);
  for (let b = 0; b < 2; b++) {
    for (const [page, label] of [[rawPage, 'raw'], [ours, 'dashboard']] as const) {
      await page.bringToFront();
      await typeBlock(page, 10 + b * half, half, label);
    }
  }
  console.log(`${keys} keys per page${noDefer ? ', Chromium without DeferRendererTasksAfterInput' : ''}; ms`);
  await analyse(rawPage, 'raw      ', 2 * half);
  await analyse(ours, 'dashboard', 2 * half);
  await releaseWorker(server, name, true).catch(() => undefined);
} finally {
  await browser.close();
  await raw.close();
  await server.stop();
  removeTempRoot(root);
}

// Diagnostic (issue 14): keystroke echo in the page, WeTTY against the raw page (bench/raw-page.ts), in
// one Chromium with the bench's flags, blocks alternated so every page sees the same load. Not part of
// `npm run bench`. What it showed (load 3-8): the raw page's ~27 ms is cursorBlink, not the renderer.
// The DOM renderer blinks with a main-thread CSS animation (background-color, step-end, infinite), so
// a main frame is always pending; after a keydown Chromium then holds the echo's WebSocket message
// until that frame (DeferRendererTasksAfterInput applies only when a frame is expected), and xterm's
// requestAnimationFrame draws it one frame later. With cursorBlink off: ~10 ms, and the trace's
// keydown → drawn ~30 → ~14 ms. WeTTY (cursorBlink off by default) reads ~8 ms at onRender, but its
// SwiftShader WebGL canvas is drawn ~30 ms after that.
//
// Pages: WeTTY as it ships (xterm.js 6 with @xterm/addon-webgl, cursorBlink off by default); the raw
// page as the bench serves it (DOM renderer, cursorBlink on, the dashboard's options); the raw page with
// `cursorBlink` turned off after load; the raw page with the WebGL addon and cursorBlink off (WeTTY's
// choices). WeTTY's WebGL canvas has no `.xterm-rows`, so the probe on every page is xterm's own
// `onRender` (fired right after the renderer's `renderRows` in the animation frame; the DOM renderer
// writes its rows in that call, which is when browser_echo's MutationObserver sees them) with the
// buffer's last two lines ending in the last 8 typed characters. On DOM pages browser_echo's probe runs
// beside it, to show the two agree. `--trace` then types 30 more keys per page under a Chromium trace
// and reports keydown → the first `Display::DrawAndSwap` (the display compositor's draw) after the
// render: when the pixels are there, which for WebGL (SwiftShader here) is well after `onRender`.
//
// npx wetty@3.2.0 --host 127.0.0.1 --port 3311 --command "bash -c 'stty -echo -icanon; exec cat'"
// node --import tsx bench/wetty-ab.ts [http://127.0.0.1:3311/] [keys per page, 200] [--trace]
import { chromium, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRawPage } from './raw-page';
import { CHROMIUM_ARGS } from './sections/browser';
import { installProbe as installDomProbe } from './sections/browser-echo';
import { REPO } from './server';
import { percentile, round } from './stats';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wettyUrl = positional.find((a) => a.startsWith('http')) ?? 'http://127.0.0.1:3311/';
const keys = Number(positional.find((a) => /^\d+$/.test(a)) ?? 200);
const trace = process.argv.includes('--trace');
const blocks = 4;
const WEBGL_JS = join(REPO, 'node_modules', '@xterm', 'addon-webgl', 'lib', 'addon-webgl.js');

interface Probe { samples: number[]; wait(n: number): Promise<number> }
type Win = Window & { __renderProbe?: Probe; __echoProbe?: Probe; __raw?: { open: boolean }; wetty_term?: unknown };

/** keydown (capture) → the first `onRender` whose buffer shows the last 8 typed characters; user-timing marks for the trace. */
const RENDER_PROBE = `(termExpr) => {
  const term = eval(termExpr);
  const samples = [];
  const waiters = new Map();
  let typed = '';
  let pending = null;
  const tail = () => {
    const b = term.buffer.active;
    const y = b.baseY + b.cursorY;
    return ((b.getLine(y - 1)?.translateToString(true) ?? '') + (b.getLine(y)?.translateToString(true) ?? '')).replace(/\\s+/g, '');
  };
  term.onRender(() => {
    if (!pending || !tail().endsWith(pending.expect)) return;
    performance.mark('echo-rendered');
    samples.push(performance.now() - pending.start);
    pending = null;
    const waiter = waiters.get(samples.length);
    if (waiter) waiter(samples[samples.length - 1]);
  });
  window.addEventListener('keydown', (e) => {
    if (e.key.length !== 1) return;
    typed = (typed + e.key).slice(-8);
    performance.mark('echo-keydown');
    pending = { start: performance.now(), expect: typed };
  }, { capture: true });
  window.__renderProbe = { samples, wait: (n) => (samples.length >= n ? Promise.resolve(samples[n - 1]) : new Promise((r) => waiters.set(n, r))) };
}`;

async function typeBlock(page: Page, from: number, count: number, label: string): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const n = await page.evaluate(() => (window as Win).__renderProbe!.samples.length);
    await page.keyboard.press(String.fromCharCode(97 + (i % 26)));
    await Promise.race([
      page.evaluate((n) => (window as Win).__renderProbe!.wait(n), n + 1),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`keystroke ${i} in the ${label} page was not shown within 5 s`)), 5_000)),
    ]);
  }
}

interface Subject { label: string; page: Page; dom: boolean }

const raw = await startRawPage();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const newPage = async () => (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const subjects: Subject[] = [];

  const wetty = await newPage();
  await wetty.goto(wettyUrl, { waitUntil: 'load' });
  await wetty.waitForFunction(() => (window as Win).wetty_term !== undefined, undefined, { timeout: 20_000 });
  await wetty.click('#terminal');
  await wetty.evaluate(`(${RENDER_PROBE})('window.wetty_term')`);
  const wettyDom = await wetty.evaluate(() => document.querySelector('#terminal .xterm-rows') !== null);
  const wettyBlink = await wetty.evaluate('window.wetty_term.options.cursorBlink');
  subjects.push({ label: `WeTTY (${wettyDom ? 'DOM' : 'WebGL'} renderer, cursorBlink ${wettyBlink})`, page: wetty, dom: false });

  for (const variant of ['as served', 'cursorBlink off', 'WebGL, cursorBlink off'] as const) {
    const page = await newPage();
    await page.goto(`${raw.origin}/?cmd=echo`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as Win).__raw?.open === true, undefined, { timeout: 20_000 });
    if (variant !== 'as served') await page.evaluate('window.__raw.term.options.cursorBlink = false');
    if (variant.startsWith('WebGL')) {
      await page.addScriptTag({ content: readFileSync(WEBGL_JS, 'utf8') });
      await page.evaluate('window.__raw.term.loadAddon(new WebglAddon.WebglAddon())');
    }
    await page.click('#terminal');
    await page.evaluate(`(${RENDER_PROBE})('window.__raw.term')`);
    const dom = await page.evaluate(() => document.querySelector('#terminal .xterm-rows') !== null);
    if (dom) await installDomProbe(page, '#terminal .xterm-rows');
    subjects.push({ label: `raw page, ${variant} (${dom ? 'DOM' : 'WebGL'} renderer)`, page, dom });
  }

  // `stty -icanon` runs after the PTY starts, and the first keys warm each page: not counted.
  await new Promise((r) => setTimeout(r, 300));
  for (const s of subjects) {
    await s.page.bringToFront();
    await typeBlock(s.page, 0, 20, s.label);
  }
  const per = Math.ceil(keys / blocks);
  const load: string[] = [];
  for (let b = 0; b < blocks; b++) {
    for (const s of subjects) {
      // bringToFront: a page in the background gets no animation frames.
      await s.page.bringToFront();
      await typeBlock(s.page, 20 + b * per, per, s.label);
    }
    load.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  }
  const fmt = (a: number[]) => `p50 ${round(percentile(a, 50))} p90 ${round(percentile(a, 90))} p99 ${round(percentile(a, 99))} (${a.length})`;
  console.log(`${per * blocks} keys per page in ${blocks} alternating blocks; load (1 min) after each round: ${load.join(' ')}; ms`);
  for (const s of subjects) {
    const render = (await s.page.evaluate(() => (window as Win).__renderProbe!.samples)).slice(20);
    const dom = s.dom ? (await s.page.evaluate(() => (window as Win).__echoProbe!.samples)).slice(20) : null;
    console.log(`${s.label}: onRender ${fmt(render)}${dom ? ` | DOM rows ${fmt(dom)}` : ''}`);
  }

  if (trace) {
    for (const s of subjects) {
      await s.page.bringToFront();
      await browser.startTracing(s.page, { categories: ['blink.user_timing', 'viz', 'disabled-by-default-devtools.timeline.frame'] });
      await typeBlock(s.page, 20 + blocks * per, 30, s.label);
      const events = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: { name: string; ts: number }[] }).traceEvents;
      const at = (name: string) => events.filter((e) => e.name === name).map((e) => e.ts / 1000).sort((a, b) => a - b);
      const draws = at('Display::DrawAndSwap');
      const rendered = at('echo-rendered');
      const toDraw: number[] = [];
      const kdToDraw: number[] = [];
      for (const k of at('echo-keydown')) {
        const r = rendered.find((t) => t >= k);
        const d = r === undefined ? undefined : draws.find((t) => t >= r);
        if (r === undefined || d === undefined) continue;
        toDraw.push(d - r);
        kdToDraw.push(d - k);
      }
      console.log(`${s.label}, traced (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}): keydown → drawn ${fmt(kdToDraw)} | onRender → drawn ${fmt(toDraw)}`);
    }
  }
} finally {
  await browser.close();
  await raw.close();
}

// Diagnostic: a Chromium trace of 200 keystrokes into the dashboard (or `raw`: the raw page) on a running
// server (bench/fp-server.ts): the main thread's busy time, its tasks by what they start with, style
// recalculations, and the long tasks. `node --import tsx bench/echo-trace.ts server.json [raw]`
import { chromium } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { releaseWorker, spawnWorker } from './relay';
import { CHROMIUM_ARGS, openDashboardPane } from './sections/browser';
import { installProbe, typeBlock } from './sections/browser-echo';
import type { RunningServer } from './server';
import { startRawPage } from './raw-page';

const j = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { origin: string; token: string };
const s = { ...j, headers: { Authorization: `Bearer ${j.token}`, Origin: j.origin, 'Content-Type': 'application/json' } } as unknown as RunningServer;
const name = `echo-tr-${process.pid}`;
let raw: Awaited<ReturnType<typeof startRawPage>> | undefined;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
await spawnWorker(s, { name, cli: 'bash', args: ['-c', 'stty -echo -icanon; exec cat'] });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  let page;
  if (process.argv[3] === 'raw') {
    raw = await startRawPage();
    page = await context.newPage();
    await page.goto(`${raw.origin}/?cmd=echo`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __raw?: { open: boolean } }).__raw?.open === true);
    await page.click('#terminal');
    await installProbe(page, '#terminal .xterm-rows');
  } else {
    page = await openDashboardPane(context, s, name);
    await page.click(`[data-testid="xterm-${name}"]`);
    await page.waitForFunction((name) => window.__agentRelay?.driving(name) === true, name, { timeout: 20_000 });
    await installProbe(page, `[data-testid="xterm-${name}"] .xterm-rows`);
  }
  await typeBlock(page, 0, 20, 'x');
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'] });
  const ms = await typeBlock(page, 20, 200, 'x');
  const buf = await browser.stopTracing();
  writeFileSync('/tmp/h1/echo-trace.json', buf);
  ms.sort((a, b) => a - b);
  console.log(`p50 ${ms[100].toFixed(1)} p90 ${ms[180].toFixed(1)} p99 ${ms[197].toFixed(1)}`);
  type E = { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string; data?: Record<string, unknown> } };
  const ev = (JSON.parse(buf.toString()) as { traceEvents: E[] }).traceEvents;
  const mains = ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  let evs: E[] = [];
  for (const m of mains) { const x = ev.filter((e) => e.pid === m.pid && e.tid === m.tid); if (x.length > evs.length) evs = x; }
  const ult = evs.filter((e) => e.ph === 'X' && e.name === 'UpdateLayoutTree');
  const el = ult.map((e) => Number((e.args as { elementCount?: number } | undefined)?.elementCount ?? (e.args as { data?: { elementCount?: number } })?.data?.elementCount ?? 0));
  console.log(`UpdateLayoutTree ${ult.length}, total ${(ult.reduce((a, e) => a + (e.dur ?? 0), 0) / 1000).toFixed(0)} ms, elements per recalc median ${el.sort((a, b) => a - b)[el.length >> 1]} max ${el[el.length - 1]}`);
  const tasks = evs.filter((e) => e.ph === 'X' && e.name === 'RunTask');
  const span = (tasks[tasks.length - 1].ts - tasks[0].ts) / 1e6;
  const busy = tasks.reduce((a, e) => a + (e.dur ?? 0), 0) / 1000;
  console.log(`span ${span.toFixed(1)} s, main busy ${busy.toFixed(0)} ms, tasks ${tasks.length}`);
  const kinds: Record<string, { n: number; ms: number }> = {};
  for (const t of tasks) {
    const end = t.ts + (t.dur ?? 0);
    const inner = evs.filter((e) => e.ph === 'X' && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= end && e !== t && !['v8.run', 'v8.callFunction', 'RunMicrotasks', 'ThreadControllerImpl::RunTask'].includes(e.name));
    const first = inner[0];
    const d = first?.args?.data as { type?: string; functionName?: string; url?: string } | undefined;
    const k = first ? `${first.name}${d?.type ? ':' + d.type : ''}${d?.functionName ? ':' + d.functionName : ''}` : '(none)';
    kinds[k] ??= { n: 0, ms: 0 };
    kinds[k].n++;
    kinds[k].ms += (t.dur ?? 0) / 1000;
  }
  console.log(Object.entries(kinds).sort((a, b) => b[1].ms - a[1].ms).slice(0, 20).map(([k, v]) => `${k}: ${v.n} tasks ${v.ms.toFixed(0)} ms`).join('\n'));
  const long = tasks.filter((t) => (t.dur ?? 0) > 12000);
  console.log('long tasks >12ms:', long.length);
  for (const t of long.slice(0, 25)) {
    const end = t.ts + (t.dur ?? 0);
    const inner = evs.filter((e) => e.ph === 'X' && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= end && e !== t && (e.dur ?? 0) > 2000 && !['v8.run', 'v8.callFunction', 'RunMicrotasks'].includes(e.name));
    console.log(`  +${((t.dur ?? 0) / 1000).toFixed(0)}: ${inner.slice(0, 6).map((e) => { const d = e.args?.data as { type?: string; functionName?: string } | undefined; return `${e.name}${d?.type ? ':' + d.type : ''}${d?.functionName ? ':' + d.functionName : ''} ${((e.dur ?? 0) / 1000).toFixed(0)}`; }).join(', ')}`);
  }
} finally {
  await browser.close();
  await raw?.close();
  await releaseWorker(s, name, true).catch(() => undefined);
}

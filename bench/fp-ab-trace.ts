// Diagnostic: one bench-like dashboard load against a running server (bench/fp-server.ts), traced:
// the main thread's tasks over 8 ms from navigation to the end, with what they ran.
import { chromium } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadAndPaint } from './first-paint-probe';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const s = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { origin: string; token: string };
const name = 'browser-flood';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const { page, total, rowAt, clickAt } = await loadAndPaint(context, s, name, (p) => browser.startTracing(p, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8.execute', 'loading'] }));
const buf = await browser.stopTracing();
writeFileSync('/tmp/h1/ab-trace.json', buf);
console.log(`row ${rowAt.toFixed(0)} clicked ${clickAt.toFixed(0)} total ${total.toFixed(0)} (bench clock)`);
const ev = (JSON.parse(buf.toString()) as { traceEvents: { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string; data?: Record<string, unknown> } }[] }).traceEvents;
const mainThreads = ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
const marks = ev.filter((e) => e.name.startsWith('agent-relay:') && e.ph !== 'X');
const pagePid = marks[0].pid;
let evs: typeof ev = [];
for (const m of mainThreads.filter((m) => m.pid === pagePid)) {
  const x = ev.filter((e) => e.pid === m.pid && e.tid === m.tid);
  if (x.length > evs.length) evs = x;
}
const firstMark = Math.min(...marks.map((m) => m.ts));
const nav = ev.filter((e) => e.name === 'navigationStart' && e.pid === pagePid && e.ts < firstMark).sort((a, b) => a.ts - b.ts).pop()!;
const t0 = nav.ts;
const rel = (ts: number) => ((ts - t0) / 1000).toFixed(0);
const tasks = evs.filter((e) => e.ph === 'X' && e.name === 'RunTask' && e.ts >= t0 && (e.dur ?? 0) > 8000);
let busy = 0;
for (const e of evs.filter((e) => e.ph === 'X' && e.name === 'RunTask' && e.ts >= t0)) busy += (e.dur ?? 0) / 1000;
console.log(`marks: ${[...new Map(marks.map((m) => [m.name, m])).values()].map((m) => `${m.name.replace('agent-relay:', '')} ${rel(m.ts)}`).join(', ')}`);
console.log(`main thread busy ${busy.toFixed(0)} ms after navigation`);
for (const task of tasks) {
  const end = task.ts + (task.dur ?? 0);
  const inner = evs.filter((e) => e.ph === 'X' && e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= end && (e.dur ?? 0) > 3000 && !['RunTask', 'v8.run', 'v8.callFunction', 'RunMicrotasks'].includes(e.name));
  const desc = inner.slice(0, 6).map((e) => {
    const d = e.args?.data as { url?: string; functionName?: string; type?: string } | undefined;
    const what = d?.functionName || d?.type || (d?.url ? String(d.url).split('/').pop() : '');
    return `${e.name}${what ? `(${what})` : ''} ${((e.dur ?? 0) / 1000).toFixed(0)}`;
  });
  console.log(`  ${rel(task.ts)} +${((task.dur ?? 0) / 1000).toFixed(0)}: ${desc.join(', ')}`);
}
await browser.close();

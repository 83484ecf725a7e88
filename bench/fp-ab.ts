// Diagnostic: the bench's first-paint sequence against two running servers (bench/fp-server.ts), alternated.
// node --import tsx bench/fp-ab.ts A.json B.json [rounds]
import { chromium, type Browser } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { loadAndPaint } from './first-paint-probe';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const servers = process.argv.slice(2, 4).map((f) => ({ file: f, ...(JSON.parse(readFileSync(f, 'utf8')) as { origin: string; token: string }) }));
const rounds = Number(process.argv[4] ?? 6);
const name = 'browser-flood';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });

async function once(b: Browser, s: { origin: string; token: string }) {
  const context = await b.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, total } = await loadAndPaint(context, s, name);
  const m = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('agent-relay:', ''), Math.round(m.startTime)])));
  const dcl = await page.evaluate(() => Math.round((performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd));
  await context.close();
  return { total, dcl, scripts: m.scripts, hydrated: m.hydrated, parsed: m['snapshot-parsed'] };
}

const res: Record<string, { total: number; dcl: number; scripts: number; hydrated: number; parsed: number }[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 ? [...servers].reverse() : servers) {
    const x = await once(browser, s);
    (res[s.file] ??= []).push(x);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [f, xs] of Object.entries(res)) {
  console.log(`${f}: first paint median ${med(xs.map((x) => x.total)).toFixed(0)} [${xs.map((x) => x.total.toFixed(0)).join(' ')}] | dcl ${med(xs.map((x) => x.dcl))} scripts ${med(xs.map((x) => x.scripts))} hydrated ${med(xs.map((x) => x.hydrated))} parsed ${med(xs.map((x) => x.parsed))}`);
}
await browser.close();

// Diagnostic: the browser_echo probe on two running servers (bench/fp-server.ts), blocks alternated,
// e.g. two builds each listing 220 ended workers, and the raw page (bench/raw-page.ts) as a third.
// `node --import tsx bench/echo-ab.ts A.json B.json [keys]`
import { chromium, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { releaseWorker, spawnWorker } from './relay';
import { CHROMIUM_ARGS, openDashboardPane } from './sections/browser';
import { installProbe, typeBlock } from './sections/browser-echo';
import { percentile, round } from './stats';
import type { RunningServer } from './server';
import { startRawPage } from './raw-page';

const files = process.argv.slice(2, 4);
const keys = Number(process.argv[4] ?? 500);
const name = `echo-ab-${process.pid}`;
const servers = files.map((f) => {
  const j = JSON.parse(readFileSync(f, 'utf8')) as { origin: string; token: string };
  return { ...j, headers: { Authorization: `Bearer ${j.token}`, Origin: j.origin, 'Content-Type': 'application/json' } } as unknown as RunningServer;
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const pages: Page[] = [];
let raw: Awaited<ReturnType<typeof startRawPage>> | undefined;
try {
  for (const s of servers) {
    await spawnWorker(s, { name, cli: 'bash', args: ['-c', 'stty -echo -icanon; exec cat'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openDashboardPane(context, s, name);
    await page.click(`[data-testid="xterm-${name}"]`);
    await page.waitForFunction((name) => window.__agentRelay?.driving(name) === true, name, { timeout: 20_000 });
    await installProbe(page, `[data-testid="xterm-${name}"] .xterm-rows`);
    await typeBlock(page, 0, 20, files[pages.length]);
    pages.push(page);
  }
  // The raw page, measured the same way (the bench's baseline).
  raw = await startRawPage();
  const rawPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await rawPage.goto(`${raw.origin}/?cmd=echo`, { waitUntil: 'load' });
  await rawPage.waitForFunction(() => (window as unknown as { __raw?: { open: boolean } }).__raw?.open === true);
  await rawPage.click('#terminal');
  await installProbe(rawPage, '#terminal .xterm-rows');
  await typeBlock(rawPage, 0, 20, 'raw');
  pages.push(rawPage);
  files.push('raw page');
  const samples: number[][] = pages.map(() => []);
  const blocks = 5;
  const per = Math.ceil(keys / blocks);
  for (let b = 0; b < blocks; b++) {
    for (const [i, page] of pages.entries()) {
      await page.bringToFront();
      samples[i].push(...(await typeBlock(page, 20 + b * per, per, files[i])));
    }
  }
  for (const [i, s] of samples.entries()) console.log(`${files[i]}: p50 ${round(percentile(s, 50))} p90 ${round(percentile(s, 90))} p99 ${round(percentile(s, 99))} max ${round(Math.max(...s))} (${s.length} keys)`);
} finally {
  await browser.close();
  await raw?.close();
  for (const s of servers) await releaseWorker(s, name, true).catch(() => undefined);
}

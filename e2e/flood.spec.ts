import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectTerminalText, focusTerminal, openDashboard, releaseViaApi, sendInputViaApi, spawnViaApi } from './dashboard-helpers';
import { serverInfo } from './server-info';

/**
 * A worker prints ~50 MB while the page shows it. The page counts and hashes (SHA-256, an incremental
 * pure-JS implementation in lib/client/sha256.ts) every output byte it writes to xterm; this spec
 * hashes the same producer's output (`seq 1 N`, byte-for-byte deterministic; the PTY's newline
 * translation is turned off with `stty -onlcr`) with node:crypto and compares. Meanwhile another
 * worker must still echo what is typed into it, and the server's RSS must not grow by 100 MB.
 */
const FLOOD = 'e2e-flood';
const ECHO = 'e2e-echo';
const N = 6_500_000; // `seq 1 6500000` prints 50,888,896 bytes

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

test.afterAll(async ({ request }) => {
  await releaseViaApi(request, FLOOD);
  await releaseViaApi(request, ECHO);
});

test('a 50 MB flood reaches the page complete and in order, the page stays responsive, server memory stays bounded', async ({ page, request }) => {
  test.setTimeout(300_000);
  const expected = spawnSync('seq', ['1', String(N)], { maxBuffer: 128 * 1024 * 1024 }).stdout;
  const expectedHash = createHash('sha256').update(expected).digest('hex');

  const info = serverInfo();
  await page.setViewportSize({ width: 1440, height: 900 });
  await openDashboard(page);
  // The flood waits for a line on stdin, so the page is attached before the first byte.
  await spawnViaApi(request, { name: FLOOD, cli: 'bash', args: ['-c', `stty -onlcr -echo; read go; exec seq 1 ${N}`] });
  await spawnViaApi(request, { name: ECHO, cli: 'cat' });
  await page.getByTestId('grid-2').click();
  await page.getByTestId(`worker-row-${FLOOD}`).click();
  await page.getByTestId(`worker-row-${ECHO}`).click();
  await expect.poll(() => page.evaluate((n) => window.__agentRelay?.streams[n]?.startOffset ?? null, FLOOD)).not.toBeNull();
  const startOffset = await page.evaluate((n) => window.__agentRelay!.streams[n].startOffset, FLOOD);
  expect(startOffset).toBe(0);
  await focusTerminal(page, ECHO);

  const rssBefore = rssKiB(info.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, rssKiB(info.pid));
    } catch {
      /* the server is gone; the assertions below will say so */
    }
  }, 100);

  try {
    await sendInputViaApi(request, FLOOD, '\r');
    // Typing into another worker still echoes while the flood is on.
    await expect.poll(() => page.evaluate((n) => window.__agentRelay!.streams[n].bytes, FLOOD)).toBeGreaterThan(1_000_000);
    await page.keyboard.type('still-responsive');
    await page.keyboard.press('Enter');
    await expectTerminalText(page, ECHO, /^still-responsive$/m, 60_000);
    const bytesWhenEchoed = await page.evaluate((n) => window.__agentRelay!.streams[n].bytes, FLOOD);

    await expect
      .poll(() => page.evaluate((n) => window.__agentRelay!.streams[n].rendered, FLOOD), { timeout: 240_000, intervals: [500] })
      .toBeGreaterThanOrEqual(expected.length);
    const got = await page.evaluate((n) => {
      const s = window.__agentRelay!.streams[n];
      return { bytes: s.bytes, sha256: s.sha256(), resyncs: s.resyncs, gaps: s.gaps };
    }, FLOOD);
    test.info().annotations.push({
      type: 'flood',
      description: `echo seen after ${bytesWhenEchoed} flood bytes; server RSS ${Math.round(rssBefore / 1024)} → peak ${Math.round(rssPeak / 1024)} MiB`,
    });
    expect(got.resyncs, 'the page was moved to a snapshot (it fell behind)').toBe(0);
    expect(got.gaps).toBe(0);
    expect(got.bytes).toBe(expected.length);
    expect(got.sha256).toBe(expectedHash);
  } finally {
    clearInterval(sampler);
  }
  expect((rssPeak - rssBefore) / 1024, 'server RSS growth (MiB)').toBeLessThan(100);
});

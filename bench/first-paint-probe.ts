import type { BrowserContext, Page } from '@playwright/test';

/**
 * The browser section's first-paint sequence, for the diagnostics that repeat it (fp-ab.ts,
 * fp-ab-trace.ts): a first visit trades the token for the cookie, then `/` is opened, the worker's
 * row clicked, and the clock stops once xterm parsed its first output and one frame was drawn.
 * `beforeNavigate` runs on the measured page just before it navigates (to start a trace).
 */
export async function loadAndPaint(
  context: BrowserContext,
  server: { origin: string; token: string },
  name: string,
  beforeNavigate?: (page: Page) => Promise<void>,
): Promise<{ page: Page; total: number; rowAt: number; clickAt: number }> {
  const warm = await context.newPage();
  await warm.goto(`${server.origin}/?token=${server.token}`, { waitUntil: 'load' });
  await warm.close();
  const page = await context.newPage();
  await beforeNavigate?.(page);
  const t = performance.now();
  await page.goto(`${server.origin}/`, { waitUntil: 'commit' });
  await page.waitForLoadState('domcontentloaded');
  const row = page.getByTestId(`worker-row-${name}`);
  await row.waitFor({ timeout: 20_000 });
  const rowAt = performance.now() - t;
  await row.click({ timeout: 20_000 });
  const clickAt = performance.now() - t;
  await page.waitForFunction(
    (name) => {
      const st = (window as unknown as { __agentRelay?: { streams: Record<string, { rendered: number }> } }).__agentRelay?.streams[name];
      return !!st && st.rendered >= 1 && !!document.querySelector(`[data-testid="xterm-${name}"] .xterm-screen`);
    },
    name,
    { polling: 'raf', timeout: 20_000 },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  return { page, total: performance.now() - t, rowAt, clickAt };
}

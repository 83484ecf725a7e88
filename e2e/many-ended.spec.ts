import { expect, test } from '@playwright/test';
import { listWorkersViaApi, openDashboard, spawnViaApi } from './dashboard-helpers';
import { apiHeaders, serverInfo } from './server-info';

/**
 * A relay that has run a while lists many ended workers: the sidebar draws the ENDED_ROWS (20) spawned
 * last and a "Show N older ended workers" button for the rest (docs/dashboard.md, Layout); the counts,
 * the search and the button reach all of them.
 */

const NAMES = Array.from({ length: 22 }, (_, i) => `e2e-me-${String(i).padStart(2, '0')}`);
// Live, so the one pane on screen is its (a pane on screen keeps its row).
const LIVE = 'e2e-me-live';

test.afterAll(async ({ request }) => {
  const info = serverInfo();
  for (const name of [LIVE, ...NAMES]) await request.delete(`${info.origin}/api/workers/${name}?remove=1&force=1`, { headers: apiHeaders(info) }).catch(() => undefined);
});

test('older ended workers fold under one button; the search and the button still show them', async ({ page, request }) => {
  test.setTimeout(90_000);
  for (const name of NAMES) await spawnViaApi(request, { name, cli: 'bash', args: ['--norc', '--noprofile', '-c', 'exit 0'] });
  await spawnViaApi(request, { name: LIVE, cli: 'bash', args: ['--norc', '--noprofile'] });
  const ended = async () => (await listWorkersViaApi(request)).filter((w) => w.status === 'exited');
  await expect.poll(async () => (await ended()).filter((w) => NAMES.includes(w.name)).length, { timeout: 30_000 }).toBe(NAMES.length);
  const all = await ended();
  const hidden = all.length - 20;

  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);
  // The newest ended ones are rows; the oldest of these (and any older ones) are behind the button.
  await expect(page.getByTestId(`terminal-${LIVE}`)).toBeVisible();
  await expect(page.getByTestId(`worker-row-${NAMES[21]}`)).toBeVisible();
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toHaveCount(0);
  const button = page.getByTestId('older-ended');
  await expect(button).toHaveText(`Show ${hidden} older ended worker${hidden === 1 ? '' : 's'}`);
  await expect(page.locator('[data-testid^="worker-row-"][data-health="exited"], [data-testid^="worker-row-"][data-health="failed"]')).toHaveCount(20);
  // Every ended worker is still counted where the page counts them.
  await expect(page.getByTestId('status-exited')).toHaveText(String(all.length));
  await page.getByTestId('filter-exited').click();
  await expect(page.getByTestId('clear-exited')).toHaveText(`Clear ${all.length} exited`);
  await page.getByTestId('filter-all').click();

  // The search looks through the hidden ones too.
  await page.getByTestId('worker-filter').fill(NAMES[0]);
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toBeVisible();
  await page.getByTestId('worker-filter').fill('');
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toHaveCount(0);

  // The button lists them all, and folds them again.
  await button.click();
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toBeVisible();
  await expect(button).toHaveText('Hide older ended workers');
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await button.click();
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toHaveCount(0);

  // An older ended worker brought on screen keeps its row while it is there.
  await button.click();
  await page.getByTestId(`worker-row-${NAMES[0]}`).click();
  await expect(page.getByTestId(`terminal-${NAMES[0]}`)).toBeVisible();
  await button.click();
  await expect(page.getByTestId(`worker-row-${NAMES[0]}`)).toBeVisible();
});

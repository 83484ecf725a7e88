import { expect, test, type Page } from '@playwright/test';
import { openDashboard, openWorker, releaseViaApi, spawnViaApi } from './dashboard-helpers';

/**
 * Focusing a pane of the grid never moves it (tmux, VS Code): a click on a button of a pane that is
 * not focused acts on that button, in that pane, and every pane stays in its slot. Before, the
 * pane jumped to the first slot on mousedown and the click landed on whatever was under the pointer
 * then.
 */

const LEFT = 'e2e-gf-left';
const RIGHT = 'e2e-gf-right';

const box = async (page: Page, name: string) => (await page.getByTestId(`terminal-${name}`).boundingBox())!;

test.afterEach(async ({ request }) => {
  for (const name of [LEFT, RIGHT]) await releaseViaApi(request, name);
});

test('a click on a button of an unfocused pane acts there and moves no pane', async ({ page, request }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  for (const name of [LEFT, RIGHT]) await spawnViaApi(request, { name, cli: 'bash', args: ['--norc', '--noprofile'] });
  await openDashboard(page);
  await page.getByTestId('grid-2').click();
  await openWorker(page, LEFT);
  await openWorker(page, RIGHT);
  // Whichever slots they got, side by side: `a` is the left pane, `b` the right one.
  const [a, b] = (await box(page, LEFT)).x < (await box(page, RIGHT)).x ? [LEFT, RIGHT] : [RIGHT, LEFT];
  const atA = await box(page, a);
  const atB = await box(page, b);
  expect(atA.x).toBeLessThan(atB.x);
  // Choosing a pane on screen from the list focuses it where it is.
  await page.getByTestId(`worker-row-${a}`).click();
  await expect(page.getByTestId(`terminal-${a}`)).toHaveClass(/border-accent/);
  await expect(page.getByTestId(`terminal-${b}`)).not.toHaveClass(/border-accent/);
  expect((await box(page, a)).x).toBe(atA.x);

  // A button in the unfocused pane's header: its search opens, in that pane.
  await page.getByTestId(`terminal-${b}`).getByRole('button', { name: 'Search terminal' }).click();
  await expect(page.getByLabel(`Find in ${b}`)).toBeVisible();
  await expect(page.getByLabel(`Find in ${a}`)).toHaveCount(0);
  // The click focused that pane, and nothing moved.
  await expect(page.getByTestId(`terminal-${b}`)).toHaveClass(/border-accent/);
  await expect(page.getByTestId(`terminal-${a}`)).not.toHaveClass(/border-accent/);
  expect((await box(page, b)).x).toBe(atB.x);
  expect((await box(page, a)).x).toBe(atA.x);

  // And back: the left pane's search, by a click while the right one is focused.
  await page.getByTestId(`terminal-${a}`).getByRole('button', { name: 'Search terminal' }).click();
  await expect(page.getByLabel(`Find in ${a}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${a}`)).toHaveClass(/border-accent/);
  expect((await box(page, a)).x).toBe(atA.x);
  expect((await box(page, b)).x).toBe(atB.x);

  // The right pane focused, then one pane: the focused one is shown alone, and again after a reload.
  await page.getByTestId(`worker-row-${b}`).click();
  await expect(page.getByTestId(`terminal-${b}`)).toHaveClass(/border-accent/);
  expect((await box(page, b)).x).toBe(atB.x);
  await page.getByTestId('grid-1').click();
  await expect(page.getByTestId(`terminal-${b}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${a}`)).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId(`terminal-${b}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${a}`)).toHaveCount(0);
});

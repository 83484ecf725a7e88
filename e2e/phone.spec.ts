import { expect, test } from '@playwright/test';
import { expectTerminalText, openDashboard, releaseViaApi, spawnViaApi } from './dashboard-helpers';

/** The phone layout: one column with tabs, and a key bar for Ctrl (sticky), Esc, Tab and arrows. */
const NAME = 'e2e-phone';

test.afterAll(async ({ request }) => releaseViaApi(request, NAME));

test('on a phone-sized screen the key bar sends a sticky Ctrl and arrow keys to the terminal', async ({ page, request }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await spawnViaApi(request, { name: NAME, cli: 'bash', args: ['--norc', '--noprofile'] });
  await openDashboard(page);
  await page.getByTestId('tab-workers').click();
  await page.getByTestId(`worker-row-${NAME}`).click();
  await expect(page.getByTestId(`terminal-${NAME}`)).toBeVisible();
  await expect(page.getByTestId('key-bar')).toBeVisible();
  await expect(page.getByTestId('worker-list')).toBeHidden();
  await expect(page.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-driving', 'true');
  await expectTerminalText(page, NAME, /[$#] ?$/m);

  await page.getByTestId(`xterm-${NAME}`).click();
  await page.keyboard.type('echo first-$((20+1))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^first-21$/m);

  // Up arrow from the key bar recalls the last command; Enter runs it again.
  const keyBar = page.getByTestId('key-bar');
  await keyBar.getByRole('button', { name: 'Up', exact: true }).click();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await page.evaluate((n) => window.__agentRelay!.text(n), NAME)).split('\n').filter((l) => l === 'first-21').length).toBe(2);

  // Sticky Ctrl: Ctrl, then "c" interrupts a running command.
  await page.keyboard.type('sleep 600');
  await page.keyboard.press('Enter');
  await keyBar.getByRole('button', { name: /Ctrl/ }).click();
  await expect(keyBar.getByRole('button', { name: /Ctrl/ })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.type('c');
  await expect(keyBar.getByRole('button', { name: /Ctrl/ })).toHaveAttribute('aria-pressed', 'false');
  await page.keyboard.type('echo after-$((3*3))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^after-9$/m);

  // The other tabs.
  await page.getByTestId('tab-messages').click();
  await expect(page.getByTestId('composer')).toBeVisible();
});

test('keyboard shortcuts: ? shows help, n opens the spawn dialog, / focuses the composer, Esc closes', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcut-help')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('shortcut-help')).toBeHidden();
  await page.keyboard.press('n');
  await expect(page.getByTestId('spawn-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('spawn-dialog')).toBeHidden();
  await page.keyboard.press('/');
  await expect(page.getByTestId('composer-body')).toBeFocused();
});

import { expect, test } from '@playwright/test';
import { countLines, expectTerminalText, focusTerminal, openDashboard, releaseViaApi, terminalText } from './dashboard-helpers';

/**
 * A shell spawned from the dialog, used the way a person would: type, resize the window, reload,
 * release. Terminal text is read from the page's xterm buffer through window.__agentRelay.
 */
const NAME = 'e2e-shell';

test.afterAll(async ({ request }) => releaseViaApi(request, NAME));

test('a bash worker spawned from the dialog takes input, follows the window size, survives a reload and shows its exit', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);

  await page.keyboard.press('n');
  const dialog = page.getByTestId('spawn-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('spawn-preset-custom').click();
  await dialog.getByLabel('Command').fill('bash');
  await dialog.getByLabel('Arguments').fill('--norc --noprofile');
  await dialog.getByLabel('Name').fill(NAME);
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden();

  // Its prompt appears.
  await expect(page.getByTestId(`terminal-${NAME}`)).toBeVisible();
  await expectTerminalText(page, NAME, /[$#] ?$/m);

  // Typing goes into the driven terminal.
  await focusTerminal(page, NAME);
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^42$/m);

  // The terminal follows the window: a narrower window means fewer columns for the program.
  const colsOf = () => page.evaluate((n) => window.__agentRelay?.size(n)?.cols ?? 0, NAME);
  const wide = await colsOf();
  await page.setViewportSize({ width: 1000, height: 860 });
  await expect.poll(colsOf).toBeLessThan(wide);
  const narrow = await colsOf();
  await expect(page.getByTestId(`terminal-size-${NAME}`)).toHaveText(new RegExp(`^${narrow}×`));
  await page.keyboard.type('echo cols=$(tput cols)');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, new RegExp(`^cols=${narrow}$`, 'm'));

  // Reload: the same screen comes back (a snapshot), without duplicated lines.
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await page.getByTestId(`worker-row-${NAME}`).click();
  await expectTerminalText(page, NAME, new RegExp(`^cols=${narrow}$`, 'm'));
  const afterReload = await terminalText(page, NAME);
  expect(countLines(afterReload, '42')).toBe(1);
  expect(countLines(afterReload, `cols=${narrow}`)).toBe(1);
  await focusTerminal(page, NAME);
  await page.keyboard.type('echo again-$((1+1))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^again-2$/m);
  expect(countLines(await terminalText(page, NAME), 'again-2')).toBe(1);

  // Release: bash ignores the polite path, so the status shows how it ended.
  await page.getByTestId(`release-${NAME}`).click();
  const status = page.getByTestId(`terminal-status-${NAME}`);
  await expect(status).toHaveText(/exited/, { timeout: 20_000 });
  await expect(page.getByTestId(`worker-health-${NAME}`)).toHaveText(/exited/);
});

import { expect, test, type Page } from '@playwright/test';
import { openDashboard, releaseViaApi, spawnViaApi } from './dashboard-helpers';

/** Each spawn problem is shown next to the field it concerns, in the server's own words. */

async function openDialog(page: Page) {
  await openDashboard(page);
  await page.getByTestId('open-spawn').click();
  const dialog = page.getByTestId('spawn-dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

test('a bad name is flagged beside the name field as it is typed, and blocks the spawn', async ({ page }) => {
  const dialog = await openDialog(page);
  await dialog.getByLabel('Name').fill('9 bad name');
  await expect(dialog.getByTestId('spawn-name-error')).toContainText('not a valid name');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('spawn-name-error')).toBeVisible();
  await dialog.getByLabel('Name').fill('good-name');
  await expect(dialog.getByTestId('spawn-name-error')).toHaveCount(0);
});

test('a missing executable is reported beside the command field (CLI_NOT_FOUND)', async ({ page }) => {
  const dialog = await openDialog(page);
  await dialog.getByTestId('spawn-preset-custom').click();
  await dialog.getByLabel('Command').fill('no-such-agent-cli-e2e');
  await dialog.getByLabel('Name').fill('missing-cli');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog.getByTestId('spawn-command-error')).toContainText('no-such-agent-cli-e2e');
  await expect(dialog.getByTestId('spawn-cwd-error')).toHaveCount(0);
  await expect(dialog.getByTestId('spawn-name-error')).toHaveCount(0);
  await expect(page.getByTestId('worker-row-missing-cli')).toHaveCount(0);
});

test('a working directory that does not exist is reported beside the cwd field (BAD_CWD)', async ({ page }) => {
  const dialog = await openDialog(page);
  await dialog.getByTestId('spawn-preset-demo').click();
  await dialog.getByLabel('Name').fill('bad-cwd');
  await dialog.getByLabel('Working directory').fill('no/such/dir/e2e');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog.getByTestId('spawn-cwd-error')).toContainText('no/such/dir/e2e');
  await expect(dialog.getByTestId('spawn-name-error')).toHaveCount(0);
  await expect(page.getByTestId('worker-row-bad-cwd')).toHaveCount(0);
});

test('the suggested name never changes under the focused field: typing over it replaces it, and on blur a free one is suggested', async ({ page, request }) => {
  const dialog = await openDialog(page);
  const field = dialog.getByLabel('Name');
  await field.selectText();
  const suggested = await field.inputValue();
  // The suggestion becomes taken while the field has focus (another spawn, from anywhere).
  await spawnViaApi(request, { name: suggested, cli: 'demo' });
  await expect(page.getByTestId(`worker-row-${suggested}`)).toBeVisible();
  await expect(field).toHaveValue(suggested);
  await expect(field).toBeFocused();
  // Still selected: what is typed replaces it (it went after a new suggestion before).
  await page.keyboard.type('typed-over');
  await expect(field).toHaveValue('typed-over');

  // Untouched and blurred: a name that is free.
  await page.keyboard.press('Escape');
  await page.getByTestId('open-spawn').click();
  const again = page.getByTestId('spawn-dialog').getByLabel('Name');
  await again.focus();
  const before = await again.inputValue();
  await spawnViaApi(request, { name: before, cli: 'demo' });
  await expect(page.getByTestId(`worker-row-${before}`)).toBeVisible();
  await expect(again).toHaveValue(before);
  await page.getByTestId('spawn-dialog').getByLabel('Task').focus();
  await expect(again).not.toHaveValue(before);
  await expect(page.getByTestId('spawn-name-error')).toHaveCount(0);
  await page.keyboard.press('Escape');
  for (const name of [suggested, before]) await releaseViaApi(request, name);
});

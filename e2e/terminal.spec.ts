import { expect, test } from '@playwright/test';
import { countLines, expectTerminalText, focusTerminal, listWorkersViaApi, openDashboard, releaseViaApi, spawnViaApi, terminalText } from './dashboard-helpers';

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

  // Release: a deliberate end, shown as released (grey), not as a failure, though a signal ended it.
  await page.getByTestId(`release-${NAME}`).click();
  const status = page.getByTestId(`terminal-status-${NAME}`);
  await expect(status).toHaveText(/released/, { timeout: 20_000 });
  await expect(status).toHaveAttribute('data-health', 'exited');
  await expect(page.getByTestId(`worker-health-${NAME}`)).toHaveText('released');
  await expect(page.getByTestId(`attention-${NAME}`)).toHaveCount(0);
  await expect(page.getByTestId(`exited-bar-${NAME}`)).toContainText('Released');

  // Remove: the exited worker leaves the list, the grid and the server.
  await page.getByTestId(`remove-${NAME}`).click();
  await expect(page.getByTestId(`worker-row-${NAME}`)).toHaveCount(0);
  await expect(page.getByTestId(`terminal-${NAME}`)).toHaveCount(0);
  expect((await listWorkersViaApi(page.request)).map((w) => w.name)).not.toContain(NAME);
});

test('the Exited filter clears every exited worker and leaves running ones', async ({ page, request }) => {
  const done = ['e2e-done-1', 'e2e-done-2'];
  const live = 'e2e-still-running';
  try {
    for (const name of done) await spawnViaApi(request, { name, cli: 'bash', args: ['--norc', '--noprofile', '-c', 'exit 3'] });
    await spawnViaApi(request, { name: live, cli: 'bash', args: ['--norc', '--noprofile', '-c', 'sleep 60'] });
    const statusOf = async (name: string) => (await listWorkersViaApi(request)).find((w) => w.name === name)?.status;
    for (const name of done) await expect.poll(() => statusOf(name), { message: `the server should report ${name} exited`, timeout: 20_000 }).toBe('exited');
    await openDashboard(page);
    for (const name of done) await expect(page.getByTestId(`worker-health-${name}`)).toHaveText(/exited/, { timeout: 20_000 });

    await page.getByTestId('filter-exited').click();
    await expect(page.getByTestId(`worker-row-${live}`)).toHaveCount(0);
    await page.getByTestId('clear-exited').click();
    for (const name of done) await expect(page.getByTestId(`worker-row-${name}`)).toHaveCount(0);
    await expect(page.getByTestId('clear-exited')).toHaveCount(0);

    await page.getByTestId('filter-all').click();
    await expect(page.getByTestId(`worker-row-${live}`)).toBeVisible();
    const names = (await listWorkersViaApi(request)).map((w) => w.name);
    expect(names).toContain(live);
    for (const name of done) expect(names).not.toContain(name);
  } finally {
    await releaseViaApi(request, live);
  }
});

import { expect, test } from '@playwright/test';
import { expectTerminalText, focusTerminal, openDashboard, releaseViaApi, spawnViaApi, terminalText } from './dashboard-helpers';

/** One viewer drives a worker, others watch; control moves only when a viewer takes it. */
const NAME = 'e2e-drive';

test.afterAll(async ({ request }) => releaseViaApi(request, NAME));

test('the first tab drives, a second tab watches until it takes control, then the first one watches', async ({ browser, request }) => {
  await spawnViaApi(request, { name: NAME, cli: 'bash', args: ['--norc', '--noprofile'] });
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  try {
    await openDashboard(first);
    await first.getByTestId(`worker-row-${NAME}`).click();
    await expect(first.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-driving', 'true');
    await expectTerminalText(first, NAME, /[$#] ?$/m);

    await openDashboard(second);
    await second.getByTestId(`worker-row-${NAME}`).click();
    await expect(second.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-driving', 'false');
    await expect(second.getByText('another viewer drives this terminal')).toBeVisible();

    // Keys typed in the watching tab do not reach the worker.
    await second.getByTestId(`xterm-${NAME}`).click();
    await second.keyboard.type('echo from-watcher');
    await second.keyboard.press('Enter');
    await focusTerminal(first, NAME);
    await first.keyboard.type('echo from-driver-$((2+3))');
    await first.keyboard.press('Enter');
    await expectTerminalText(second, NAME, /^from-driver-5$/m);
    expect(await terminalText(second, NAME)).not.toContain('from-watcher');

    // Taking control moves the driver seat; the first tab now watches.
    await second.getByTestId(`drive-${NAME}`).click();
    await expect(second.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-driving', 'true');
    await expect(first.getByTestId(`terminal-${NAME}`)).toHaveAttribute('data-driving', 'false');
    await second.getByTestId(`xterm-${NAME}`).click();
    await second.keyboard.type('echo now-$((6+1))');
    await second.keyboard.press('Enter');
    await expectTerminalText(first, NAME, /^now-7$/m);
  } finally {
    await first.context().close();
    await second.context().close();
  }
});

import { expect, test } from '@playwright/test';
import { expectTerminalText, openDashboard, releaseViaApi, spawnViaApi } from './dashboard-helpers';

/**
 * Two demo agents (docs/workers.md, "Demo agent") talk through the relay: Bob's task sends Alice a
 * message, Alice replies to every message. The timeline shows both, each terminal shows the message
 * it was given, and the dashboard user can write to an agent from the composer.
 */
const ALICE = 'e2e-alice';
const BOB = 'e2e-bob';

test.afterAll(async ({ request }) => {
  await releaseViaApi(request, ALICE);
  await releaseViaApi(request, BOB);
});

test('two demo agents exchange messages; the timeline and both terminals show them', async ({ page, request }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await openDashboard(page);
  await page.getByTestId('grid-2').click();

  // Alice from the dialog (task field included), Bob through the API.
  await page.getByTestId('open-spawn').click();
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-demo').click();
  await dialog.getByLabel('Name').fill(ALICE);
  await dialog.getByLabel('Task').fill('reply to every message');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden();
  await expectTerminalText(page, ALICE, /reply to every message/);

  await spawnViaApi(request, { name: BOB, cli: 'demo', task: `send ${ALICE} hello from Bob` });
  await page.getByTestId(`worker-row-${BOB}`).click();
  await expect(page.getByTestId(`terminal-${ALICE}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${BOB}`)).toBeVisible();

  const timeline = page.getByTestId('message-timeline');
  await expect(timeline.locator(`[data-from="${BOB}"][data-to="${ALICE}"]`)).toContainText('hello from Bob', { timeout: 30_000 });
  await expect(timeline.locator(`[data-from="${ALICE}"][data-to="${BOB}"]`)).toContainText('got it: hello from Bob', { timeout: 30_000 });

  // The injected messages, as typed into each agent's terminal.
  await expectTerminalText(page, ALICE, new RegExp(`Relay message from ${BOB} \\[[^\\]]+\\]: hello from Bob`));
  await expectTerminalText(page, BOB, new RegExp(`Relay message from ${ALICE} \\[[^\\]]+\\]: got it: hello from Bob`));

  // The dashboard user writes to Alice; she answers the Dashboard.
  await page.keyboard.press('Escape');
  await page.getByTestId('composer-to').fill(ALICE);
  await page.getByTestId('composer-body').fill('status please');
  await page.getByTestId('composer-send').click();
  await expect(timeline.locator(`[data-from="Dashboard"][data-to="${ALICE}"]`)).toContainText('status please');
  await expect(timeline.locator(`[data-from="${ALICE}"][data-to="Dashboard"]`)).toContainText('got it: status please', { timeout: 30_000 });
  await expectTerminalText(page, ALICE, /Relay message from Dashboard \[[^\]]+\]: status please/);

  // A name in the timeline opens that agent's terminal.
  await timeline.locator(`[data-from="${BOB}"]`).first().getByRole('button', { name: BOB }).click();
  await expect(page.getByTestId(`worker-row-${BOB}`)).toHaveClass(/border-accent/);
});

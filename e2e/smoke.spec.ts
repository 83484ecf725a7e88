import { expect, test } from '@playwright/test';
import { serverInfo } from './server-info';

test('the tokened URL sets the cookie, lands on a clean URL and shows live daemon status', async ({ page, context }) => {
  const info = serverInfo();
  await page.goto(info.url);
  await expect(page).toHaveURL(`${info.origin}/`);
  const cookies = await context.cookies(info.origin);
  expect(cookies.find((c) => c.name === 'agent_relay_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  // Workers the earlier specs released are still listed as exited: the header counts them apart.
  await expect(page.getByTestId('status-workers')).toHaveText('0');
  const listed = await page.locator('[data-testid^="worker-row-"]').count();
  if (listed > 0) await expect(page.getByTestId('status-exited')).toHaveText(String(listed));
  else await expect(page.getByTestId('status-exited')).toHaveCount(0);
});

test('without the token the dashboard answers 401 and says how to get in', async ({ browser }) => {
  const info = serverInfo();
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${info.origin}/`);
  expect(response?.status()).toBe(401);
  await expect(page.getByText('agent-relay up').first()).toBeVisible();
  await context.close();
});

import { expect, test } from '@playwright/test';
import { apiHeaders, serverInfo } from './server-info';

/** The token guards the API; a foreign Origin cannot change state even with it. */

test('the API refuses a request without the token (401)', async ({ playwright }) => {
  const info = serverInfo();
  const anonymous = await playwright.request.newContext();
  const res = await anonymous.get(`${info.origin}/api/workers`);
  expect(res.status()).toBe(401);
  expect((await res.json()).error.code).toBeTruthy();
  await anonymous.dispose();
});

test('a POST from a foreign Origin is refused (403), even with the token', async ({ request }) => {
  const info = serverInfo();
  const res = await request.post(`${info.origin}/api/messages`, {
    headers: { ...apiHeaders(info), Origin: 'http://evil.example' },
    data: { to: '*', body: 'from another site' },
  });
  expect(res.status()).toBe(403);
});

test('a page opened without the token cannot reach the API (401 on fetch)', async ({ browser }) => {
  const info = serverInfo();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${info.origin}/api/status`).catch(() => undefined);
  const status = await page.evaluate(async (origin) => (await fetch(`${origin}/api/status`)).status, info.origin);
  expect(status).toBe(401);
  await context.close();
});

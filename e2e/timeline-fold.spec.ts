import { expect, test } from '@playwright/test';
import { openDashboard } from './dashboard-helpers';
import { apiHeaders, serverInfo } from './server-info';

/** The timeline draws its last 40 messages; "Show N earlier messages" brings back the rest it loaded (docs/dashboard.md). */
test('the timeline folds all but the last 40 messages under one button', async ({ page, request }) => {
  const info = serverInfo();
  const tag = `fold-${Date.now()}`;
  for (let i = 0; i < 45; i++) {
    const res = await request.post(`${info.origin}/api/messages`, { headers: apiHeaders(info), data: { to: '*', body: `${tag} ${i}` } });
    expect(res.ok(), await res.text()).toBe(true);
  }
  await openDashboard(page);
  const timeline = page.getByTestId('message-timeline');
  await expect(timeline.getByText(`${tag} 44`, { exact: true })).toBeVisible();
  await expect(timeline.getByTestId('message')).toHaveCount(40);
  await expect(timeline.getByText(`${tag} 0`, { exact: true })).toHaveCount(0);
  const earlier = timeline.getByTestId('earlier-messages');
  await expect(earlier).toHaveText(/^Show \d+ earlier messages?$/);
  await earlier.click();
  await expect(timeline.getByText(`${tag} 0`, { exact: true })).toHaveCount(1);
  await expect(earlier).toHaveCount(0);
});

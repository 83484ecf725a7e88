import { expect, test } from '@playwright/test';
import { listWorkersViaApi, releaseViaApi, sendInputViaApi, spawnViaApi } from './dashboard-helpers';
import { serverInfo } from './server-info';

/**
 * The page is rendered on the server with the live workers (app/initial-data.ts), so it shows them
 * before any script runs, and it catches up with what happened between that render and its socket.
 */
const WAITING = 'e2e-first-load';

test.afterAll(async ({ request }) => releaseViaApi(request, WAITING));

test('the server-rendered page lists the workers and their counts without running a script', async ({ browser, request }) => {
  await spawnViaApi(request, { name: WAITING, cli: 'bash', args: ['--norc', '--noprofile', '-c', 'echo waiting; read line; exit 3'] });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(serverInfo().url);
  await expect(page.getByTestId(`worker-row-${WAITING}`)).toBeVisible();
  const running = (await listWorkersViaApi(request)).filter((w) => w.status !== 'exited').length;
  await expect(page.getByTestId('status-workers')).toHaveText(String(running));
  await expect(page.getByTestId(`terminal-${WAITING}`)).toBeVisible();
  await context.close();
});

test('a worker that exits after the page was rendered but before its socket connected is shown exited', async ({ page, request }) => {
  // Hold the page's socket.io connection until the worker has exited: its exit event goes nowhere.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  await page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await gate;
    ws.connectToServer();
  });
  await page.goto(serverInfo().url);
  await expect(page.getByTestId(`worker-health-${WAITING}`)).not.toHaveText(/exited/);
  // It is on the first pane, drawn from the screen in the page rather than from the socket.
  await expect.poll(() => page.evaluate((n) => window.__agentRelay?.text(n) ?? '', WAITING)).toContain('waiting');

  await sendInputViaApi(request, WAITING, 'go\r');
  await expect
    .poll(async () => (await listWorkersViaApi(request)).find((w) => w.name === WAITING)?.status, { message: 'the server should see it exit' })
    .toBe('exited');
  open();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId(`worker-health-${WAITING}`)).toHaveText('exited (3)');
  await expect(page.getByTestId(`terminal-status-${WAITING}`)).toHaveText(/exited/);
  // The screen from the page and the bytes after it, each once.
  const text = await page.evaluate((n) => window.__agentRelay?.text(n) ?? '', WAITING);
  expect(text.split('\n').filter((l) => l.trim() === 'waiting')).toHaveLength(1);
});

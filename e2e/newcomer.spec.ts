import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import type { WorkerInfo } from '../lib/protocol/workers';
import { listWorkersViaApi, openDashboard, openWorker, releaseViaApi, spawnViaApi } from './dashboard-helpers';
import { serverInfo } from './server-info';

/**
 * What a newcomer tripped over (issue 9, item 7): a quiet shell flagged as needing attention, ended
 * workers listed among live ones, the focused terminal lost on reload, the CLI's internal sender
 * name on screen.
 */

const QUIET = 'e2e-nc-quiet';
const FAILED = 'e2e-nc-failed';
const OTHER = 'e2e-nc-other';
const BY_CLI = 'e2e-nc-by-cli';
const ALL = [QUIET, FAILED, OTHER, BY_CLI];

test.afterAll(async ({ request }) => {
  for (const name of ALL) await releaseViaApi(request, name);
});

const run = promisify(execFile);

test('quiet is not attention, ended workers sort below live ones, the focused pane survives a reload, the CLI reads as CLI', async ({ page, request }) => {
  test.setTimeout(90_000);
  // Spawned first, so by spawn order it would be listed above the live ones.
  await spawnViaApi(request, { name: FAILED, cli: 'bash', args: ['--norc', '--noprofile', '-c', 'exit 2'] });
  await spawnViaApi(request, { name: QUIET, cli: 'bash', args: ['--norc', '--noprofile'] });
  await spawnViaApi(request, { name: OTHER, cli: 'bash', args: ['--norc', '--noprofile'] });
  const info = serverInfo();
  await run(process.execPath, [resolve(import.meta.dirname, '..', 'bin', 'agent-relay.js'), '--socket', info.socketPath, 'spawn', BY_CLI, 'bash', '--', '--norc', '--noprofile'], {
    cwd: info.projectRoot,
    env: { ...process.env, AGENT_RELAY_HOME: info.home },
  });
  const idle = async (name: string) => (await listWorkersViaApi(request)).find((w: WorkerInfo) => w.name === name)?.status;
  await expect.poll(() => idle(QUIET), { timeout: 20_000 }).toBe('idle');

  await page.setViewportSize({ width: 1400, height: 860 });
  await openDashboard(page);
  // A shell quiet at its prompt is idle, nothing more: no badge, no count in the tab title.
  await expect(page.getByTestId(`worker-health-${QUIET}`)).toHaveText('idle');
  await expect(page.getByTestId(`attention-${QUIET}`)).toHaveCount(0);
  // An abnormal exit is news.
  await expect(page.getByTestId(`attention-${FAILED}`)).toHaveText('exit 2');
  await expect(page.getByTestId(`worker-row-${FAILED}`)).toHaveAttribute('data-health', 'failed');

  // Live workers are listed above ended ones.
  const rows = await page.locator('[data-testid^="worker-row-e2e-nc-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  expect(rows.indexOf(`worker-row-${FAILED}`)).toBeGreaterThan(rows.indexOf(`worker-row-${QUIET}`));
  expect(rows.indexOf(`worker-row-${FAILED}`)).toBeGreaterThan(rows.indexOf(`worker-row-${OTHER}`));
  expect(rows.indexOf(`worker-row-${FAILED}`)).toBeGreaterThan(rows.indexOf(`worker-row-${BY_CLI}`));

  // Spawned from the CLI: "by CLI", not the internal sender name.
  await expect(page.getByTestId(`worker-row-${BY_CLI}`)).toContainText('by CLI');
  await expect(page.getByTestId(`worker-row-${BY_CLI}`)).not.toContainText('__cli_sender__');

  // One pane; focus a worker that is not first by default, reload: the same one is shown.
  await page.getByTestId('grid-1').click();
  await openWorker(page, OTHER);
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId(`terminal-${OTHER}`)).toBeVisible();
  await expect(page.getByTestId(`worker-row-${OTHER}`)).toHaveClass(/border-accent/);
  await openWorker(page, QUIET);
  await page.reload();
  await expect(page.getByTestId(`terminal-${QUIET}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${OTHER}`)).toHaveCount(0);
});

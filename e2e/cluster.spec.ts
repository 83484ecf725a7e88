import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { startNats, type NatsServer } from '../test/cluster/nats';
import { countLines, expectTerminalText, focusTerminal, terminalText } from './dashboard-helpers';

/**
 * Issue 12, acceptance 2: from node A's dashboard in Chromium, spawn a bash worker on node B, type
 * into its pane, see the answer, reload and see the same screen, release it. Node A is a real
 * `agent-relay up --cluster`; node B a relay node without a dashboard (test/cluster/node-main.ts),
 * both on one real nats-server on a random loopback port.
 */

const ROOT = resolve(import.meta.dirname, '..');
const NAME = 'remote-shell';
let nats: NatsServer;
let dir: string;
let nodeA: ChildProcess;
let nodeB: ChildProcess;
let urlA: string;

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolveLine, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolveLine(m);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${err.slice(-2000)}`)));
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  nats = await startNats();
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-relay-e2e-cluster-')));
  const env = { ...process.env, AGENT_RELAY_HOME: join(dir, 'home') };
  nodeB = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/node-main.ts'), JSON.stringify({ servers: [nats.url], node: 'B', clusterName: 'e2e', project: join(dir, 'b') })], {
    cwd: ROOT, env: { ...env, AGENT_RELAY_PROJECT: join(dir, 'b') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(nodeB, /"ready":true/, 'node B');
  const projectA = join(dir, 'a');
  nodeA = spawn(process.execPath, [join(ROOT, 'bin/agent-relay.js'), 'up', '--storage', 'memory', '--port', '0', '--no-open', '--project', projectA, '--cluster', nats.url, '--node', 'A', '--cluster-name', 'e2e'], {
    cwd: ROOT, env: { ...env, AGENT_RELAY_PROJECT: projectA }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  urlA = (await waitForLine(nodeA, /^(http:\/\/\S+\?token=[0-9a-f]+)$/m, 'node A'))[1];
});

test.afterAll(async () => {
  await stop(nodeA);
  await stop(nodeB);
  await nats?.stop();
  nats?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('node A\'s dashboard spawns bash on node B, types into its pane, survives a reload, releases it', async ({ page }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1400, height: 860 });
  await page.goto(urlA);
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');

  await page.keyboard.press('n');
  const dialog = page.getByTestId('spawn-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('spawn-preset-custom').click();
  await dialog.getByLabel('Command').fill('bash');
  await dialog.getByLabel('Arguments').fill('--norc --noprofile');
  await dialog.getByLabel('Name').fill(NAME);
  // Both nodes are offered; this one is the default.
  const nodeSelect = dialog.getByTestId('spawn-node');
  await expect(nodeSelect.locator('option')).toHaveText(['A (this node)', 'B'], { timeout: 20_000 });
  await nodeSelect.selectOption('B');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // The pane says where it runs, and streams from there.
  await expect(page.getByTestId(`terminal-${NAME}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-node-${NAME}`)).toHaveText('@B');
  await expect(page.getByTestId(`worker-node-${NAME}`)).toHaveText('@B');
  await expectTerminalText(page, NAME, /[$#] ?$/m);
  await focusTerminal(page, NAME);
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^42$/m);
  // It is node B's process: node A's API says so.
  const workers = (await (await page.request.get(new URL('/api/workers', urlA).toString())).json()) as { workers: Array<{ name: string; node?: string; pid?: number }> };
  expect(workers.workers.find((w) => w.name === NAME)).toMatchObject({ node: 'B' });
  const agents = (await (await page.request.get(new URL('/api/agents', urlA).toString())).json()) as { agents: Array<{ name: string; node?: string }> };
  expect(agents.agents.find((a) => a.name === NAME)).toMatchObject({ node: 'B' });

  // Reload: the same screen, from node B's snapshot, no line twice; typing still reaches it.
  await page.reload();
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await page.getByTestId(`worker-row-${NAME}`).click();
  await expectTerminalText(page, NAME, /^42$/m);
  expect(countLines(await terminalText(page, NAME), '42')).toBe(1);
  await focusTerminal(page, NAME);
  await page.keyboard.type('echo again-$((1+1))');
  await page.keyboard.press('Enter');
  await expectTerminalText(page, NAME, /^again-2$/m);
  expect(countLines(await terminalText(page, NAME), 'again-2')).toBe(1);

  // Release from the pane: node B ends it; node A shows it released.
  await page.getByTestId(`release-${NAME}`).click();
  const status = page.getByTestId(`terminal-status-${NAME}`);
  await expect(status).toHaveText(/released/, { timeout: 30_000 });
  await expect(page.getByTestId(`worker-health-${NAME}`)).toHaveText('released');
  await page.getByTestId(`remove-${NAME}`).click();
  await expect(page.getByTestId(`worker-row-${NAME}`)).toHaveCount(0);
});

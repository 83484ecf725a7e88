import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { codexEnv, prepareCodexHome } from '../test/agents/harness/codex-home';
import type { ModelServer } from '../test/agents/harness/http';
import { pinnedCli } from '../test/agents/harness/install';
import { startOpenAIServer } from '../test/agents/harness/openai';
import { ModelScript, when } from '../test/agents/harness/script';
import { RelayClient, type RelayMessage } from '../lib/sdk';
import { countLines, expectTerminalText, terminalText } from './dashboard-helpers';
import { startOwnRelay, type OwnRelay } from './own-relay';

/**
 * The real, pinned Codex spawned from the dashboard's dialog with the `codex` preset, as a person
 * does it: the task reaches Codex's own prompt (the scripted model receives it, never a dialog),
 * its answer shows in the pane, its MCP relay_send reaches a peer, and a message sent to it is
 * typed in and answered. This spec runs its own `agent-relay up` (the shared e2e server's HOME is
 * the machine's): HOME is a temp one whose ~/.codex/config.toml holds the scripted provider and
 * the trusted project, the way a user's does.
 */

const codex = pinnedCli('codex');

let dir: string;
let model: ModelServer;
let relay: OwnRelay | undefined;
let url: string;
let peer: RelayClient;
const received: RelayMessage[] = [];

test.beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'e2e-codex-')));
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  mkdirSync(project);
  execFileSync('git', ['init', '-q'], { cwd: project });
  model = await startOpenAIServer(
    new ModelScript([
      { name: 'task', when: when.userSays('list the open questions'), reply: { text: 'No open questions in codex-e2e.' } },
      { name: 'greet', when: when.userSays('greet Peer'), reply: { toolCalls: [{ name: 'mcp__agent_relay__relay_send', input: { to: 'Peer', message: 'hello Peer from the dashboard codex' } }] } },
      { name: 'answer', when: when.userSays('what is the status'), reply: { text: 'Status: all green.' } },
    ]),
  );
  prepareCodexHome(home, { modelUrl: model.url, trusted: [project] });
  relay = await startOwnRelay(project, { ...process.env, ...codexEnv({ home, binDir: codex.binDir }), AGENT_RELAY_HOME: join(dir, 'relay-home'), AGENT_RELAY_PROJECT: project, AGENT_RELAY_LOG: 'warn' });
  url = relay.url;
  peer = new RelayClient({ name: 'Peer', socketPath: join(project, '.agent-relay', 'relay.sock'), reconnect: false });
  peer.onMessage((m) => {
    received.push(m);
  });
  await peer.connect();
});

test.afterAll(async () => {
  await peer?.disconnect().catch(() => {});
  await relay?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a Codex spawned from the dialog gets its task at its own prompt, answers, reaches a peer over MCP and is typed a message', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(url);
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('open-spawn').click();
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-codex').click();
  await dialog.getByLabel('Name').fill('Cx');
  await dialog.getByLabel('Task').fill('please list the open questions');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('worker-row-Cx')).toBeVisible();

  // The task reached Codex's prompt: the model received it once, from the worker that knows its name.
  const task = await model.log.waitForCall(when.userSays('please list the open questions'), 90_000, 'the task from the dialog');
  expect(task.system).toContain('You are "Cx"');
  await expectTerminalText(page, 'Cx', /No open questions in codex-e2e\./, 60_000);
  expect(model.log.modelCalls.filter((e) => when.userSays('please list the open questions')(e.request))).toHaveLength(1);
  await expect(page.getByTestId('attention-Cx')).toHaveCount(0);

  // Its MCP relay_send reaches a peer; a message sent to it is typed into its prompt and answered.
  peer.send('Cx', 'please greet Peer');
  await expect.poll(() => received.filter((m) => m.body === 'hello Peer from the dashboard codex').length, { timeout: 90_000 }).toBe(1);
  expect(received.find((m) => m.body === 'hello Peer from the dashboard codex')?.from).toBe('Cx');
  peer.send('Cx', 'what is the status');
  await model.log.waitForCall(when.userSays('what is the status'), 90_000, 'the message to reach the model');
  await expectTerminalText(page, 'Cx', /Status: all green\./, 60_000);
  const text = await terminalText(page, 'Cx');
  expect(countLines(text, '• Status: all green.')).toBeLessThanOrEqual(1);
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startGeminiServer } from '../test/agents/harness/gemini';
import { geminiEnv, prepareGeminiHome } from '../test/agents/harness/gemini-home';
import type { ModelServer } from '../test/agents/harness/http';
import { pinnedCli } from '../test/agents/harness/install';
import { ModelScript, when } from '../test/agents/harness/script';
import { RelayClient, type RelayMessage } from '../lib/sdk';
import { expectTerminalText } from './dashboard-helpers';
import { startOwnRelay, type OwnRelay } from './own-relay';

/**
 * The real, pinned Gemini CLI spawned from the dashboard's dialog with the `gemini` preset, as a
 * person does it: the task reaches Gemini's own prompt (the scripted model receives it, never a
 * dialog), its answer shows in the pane, its MCP relay_send reaches a peer, a `->relay:` line it
 * writes reaches the peer once, and a message sent to it is typed in and answered. This spec runs
 * its own `agent-relay up` with a temp HOME whose ~/.gemini holds the sign-in choice and the trusted
 * project, the way an API-key user's does (the key and the scripted endpoint come from the env).
 */

const gemini = pinnedCli('gemini');
const SEND = 'mcp_agent-relay_relay_send';

let dir: string;
let model: ModelServer;
let relay: OwnRelay | undefined;
let url: string;
let peer: RelayClient;
const received: RelayMessage[] = [];

test.beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'e2e-gemini-')));
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  mkdirSync(project);
  execFileSync('git', ['init', '-q'], { cwd: project });
  model = await startGeminiServer(
    new ModelScript([
      { name: 'task', when: when.userSays('list the open questions'), reply: { text: 'No open questions in gemini-e2e.' } },
      { name: 'greet', when: when.userSays('greet Peer'), reply: { toolCalls: [{ name: SEND, input: { to: 'Peer', message: 'hello Peer from the dashboard gemini' } }] }, times: 1 },
      { name: 'greeted', when: when.toolResult(SEND), reply: { text: 'Greeted.' } },
      { name: 'report', when: when.userSays('report to Peer'), reply: { text: 'Reporting.\n->relay:Peer the dashboard gemini build is green\nDone.' }, times: 1 },
      { name: 'answer', when: when.userSays('what is the status'), reply: { text: 'Status: all green.' } },
    ]),
  );
  prepareGeminiHome(home, { folders: [project] });
  relay = await startOwnRelay(project, { ...process.env, ...geminiEnv({ home, baseUrl: model.url, binDir: gemini.binDir }), AGENT_RELAY_HOME: join(dir, 'relay-home'), AGENT_RELAY_PROJECT: project, AGENT_RELAY_LOG: 'warn' });
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

test('a Gemini CLI spawned from the dialog gets its task at its own prompt, answers, reaches a peer over MCP and by a ->relay: line, and is typed a message', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(url);
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('open-spawn').click();
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-gemini').click();
  await dialog.getByLabel('Name').fill('Gm');
  await dialog.getByLabel('Task').fill('please list the open questions');
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('worker-row-Gm')).toBeVisible();

  // The task reached Gemini's prompt: the model received it once, from the worker that knows its name, with the relay tools.
  const task = await model.log.waitForCall(when.userSays('please list the open questions'), 120_000, 'the task from the dialog');
  expect(task.system).toContain('You are "Gm"');
  expect(task.tools).toContain(SEND);
  await expectTerminalText(page, 'Gm', /No open questions in gemini-e2e\./, 60_000);
  expect(model.log.modelCalls.filter((e) => when.userSays('please list the open questions')(e.request))).toHaveLength(1);
  await expect(page.getByTestId('attention-Gm')).toHaveCount(0);

  // Its MCP relay_send reaches a peer; so does a ->relay: line it writes, once.
  peer.send('Gm', 'please greet Peer');
  await expect.poll(() => received.filter((m) => m.body === 'hello Peer from the dashboard gemini').length, { timeout: 90_000 }).toBe(1);
  expect(received.find((m) => m.body === 'hello Peer from the dashboard gemini')?.from).toBe('Gm');
  peer.send('Gm', 'please report to Peer');
  await expect.poll(() => received.filter((m) => m.body === 'the dashboard gemini build is green').length, { timeout: 90_000 }).toBe(1);

  // A message sent to it is typed into its prompt, submitted once, and answered.
  peer.send('Gm', 'what is the status');
  await model.log.waitForCall(when.userSays('what is the status'), 90_000, 'the message to reach the model');
  await expectTerminalText(page, 'Gm', /Status: all green\./, 60_000);
  expect(model.log.modelCalls.filter((e) => e.request.tools.length > 0 && e.request.lastUserText.includes('what is the status'))).toHaveLength(1);
  expect(received.filter((m) => m.body === 'the dashboard gemini build is green')).toHaveLength(1);
});

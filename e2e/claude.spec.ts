import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startAnthropicServer } from '../test/agents/harness/anthropic';
import { claudeEnv, prepareClaudeHome } from '../test/agents/harness/claude-home';
import type { ModelServer } from '../test/agents/harness/http';
import { pinnedCli } from '../test/agents/harness/install';
import { ModelScript, when } from '../test/agents/harness/script';
import { startOwnRelay, type OwnRelay } from './own-relay';

/**
 * The real, pinned Claude Code spawned from the dashboard's dialog, against a scripted model: the
 * preview shows the command that runs, "Skip permission prompts" changes it, the root refusal shows
 * in the dialog (when the server runs as root without IS_SANDBOX), and the task reaches the model.
 * A relay of its own: its environment is what the agent inherits (HOME with Claude Code's first-run
 * answers, the scripted model's URL), which the shared e2e server must not carry.
 */

const API_KEY = 'sk-ant-scripted-0123456789abcdefghijKLMN';
const isRoot = process.getuid?.() === 0;

let dir: string;
let model: ModelServer;
let relay: OwnRelay | undefined;
let url: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-e2e-claude-')));
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"private":true}\n');
  prepareClaudeHome(home, { apiKey: API_KEY, folders: [project] });
  model = await startAnthropicServer(new ModelScript([{ name: 'task', when: when.userSays('list the open issues'), reply: { text: 'There are none.' } }]));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...claudeEnv({ home, baseUrl: model.url, apiKey: API_KEY, binDir: pinnedCli('claude').binDir, sandbox: false }),
    AGENT_RELAY_HOME: join(dir, 'relay-home'),
    AGENT_RELAY_PROJECT: project,
  };
  delete env.IS_SANDBOX;
  delete env.RELAY_SOCKET;
  relay = await startOwnRelay(project, env);
  url = relay.url;
});

test.afterAll(async () => {
  await relay?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Claude Code from the spawn dialog: the command line shown, the permission toggle, the task reaching the model', async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto(url);
  await expect(page.getByTestId('daemon-status')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('open-spawn').click();
  const dialog = page.getByTestId('spawn-dialog');
  await dialog.getByTestId('spawn-preset-claude').click();
  await dialog.getByLabel('Name').fill('Reviewer');
  await dialog.getByLabel('Task').fill('please list the open issues');
  const toggle = dialog.getByTestId('spawn-skip-permissions');
  await expect(toggle).toBeChecked();

  if (isRoot) {
    // As root without IS_SANDBOX=1 Claude Code would exit at once: the dialog says so before Spawn…
    await expect(dialog.getByTestId('spawn-preview-error')).toContainText('IS_SANDBOX=1');
    await dialog.getByTestId('spawn-submit').click();
    await expect(dialog.getByTestId('spawn-form-error')).toContainText('refuses --dangerously-skip-permissions');
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('spawn-form-error').scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('dialog-root-refused.png') });
    // …and turning the toggle off is one of the ways out.
    await toggle.uncheck();
  }
  const line = dialog.getByTestId('spawn-command-line');
  await expect(line).toContainText('--mcp-config');
  await expect(line).toContainText("--append-system-prompt 'You are \"Reviewer\"");
  if (isRoot) await expect(line).not.toContainText('--dangerously-skip-permissions');
  else {
    await expect(line).toContainText('--dangerously-skip-permissions');
    await toggle.uncheck();
    await expect(line).not.toContainText('--dangerously-skip-permissions');
    await toggle.check();
    await expect(line).toContainText('--dangerously-skip-permissions');
  }
  await line.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('dialog-command-line.png') });
  await dialog.getByTestId('spawn-submit').click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  const got = await model.log.waitForCall(when.userSays('please list the open issues'), 120_000, 'the task to reach the model');
  const token = new URL(url).searchParams.get('token');
  const worker = await (await page.request.get(new URL('/api/workers/Reviewer', url).href, { headers: { Authorization: `Bearer ${token}` } })).json();
  const readyFile = join(dir, 'project', '.agent-relay', 'mcp', 'Reviewer.ready');
  const { existsSync, statSync } = await import('node:fs');
  const at = model.log.modelCalls.find((e) => e.request === got)?.at;
  const diag = `${JSON.stringify(worker)} ready=${existsSync(readyFile) ? statSync(readyFile).mtimeMs : 'none'} call=${at} log=${model.log.describe()}`;
  expect(got.tools, diag).toContain('mcp__agent-relay__relay_send');
  await expect(page.getByTestId('worker-row-Reviewer')).toBeVisible();
  await page.getByTestId('worker-row-Reviewer').click();
  await expect.poll(() => page.evaluate(() => window.__agentRelay?.text('Reviewer') ?? ''), { timeout: 30_000 }).toContain('There are none.');
  await page.screenshot({ path: test.info().outputPath('claude-answered.png') });
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { startAnthropicServer } from '../../test/agents/harness/anthropic';
import { claudeEnv, prepareClaudeHome } from '../../test/agents/harness/claude-home';
import type { ModelServer } from '../../test/agents/harness/http';
import { installPinnedClis, pinnedCli } from '../../test/agents/harness/install';
import { ModelScript, when, type ModelRequest, type Turn } from '../../test/agents/harness/script';
import { expectTerminalText, openDashboard, openWorker, releaseViaApi, spawnViaApi, terminalText } from '../dashboard-helpers';
import { serverInfo } from '../server-info';

/**
 * The tour with real agents: two real, pinned Claude Code workers review each other's work through
 * the relay, shown in the dashboard. The models are scripted (the model services cannot be reached
 * from here): a local Anthropic Messages server answers each turn from the script below, so what the
 * tour shows is Claude Code itself — its TUI, its MCP relay_send calls, messages typed into its
 * prompt by the relay — and only the model's words are canned. A person holds Ada's deliveries for
 * a moment and flushes them from the pane menu. Screenshots land in demo-output/ (11-…).
 */

const OUT = resolve(import.meta.dirname, '..', '..', 'demo-output');
const API_KEY = 'sk-ant-scripted-demo-0123456789abcdefKLMN';
const RELAY_SEND = 'mcp__agent-relay__relay_send';
const ADA = 'Ada';
const GRACE = 'Grace';

let dir: string;
let model: ModelServer;
/**
 * Grace's review is answered only once the person has held Ada's deliveries: otherwise, on a loaded
 * machine, the review could reach Ada before the hold (the tour once saw `held 0` for that reason).
 */
let holdInPlace: () => void = () => {};
const held = new Promise<void>((r) => (holdInPlace = r));

async function shot(page: Page, name: string) {
  mkdirSync(OUT, { recursive: true });
  await page.waitForTimeout(600); // let xterm paint the last frame
  await page.screenshot({ path: `${OUT}/${name}.png` });
}

/** A main-loop request (tools offered) from the worker named `name` (its identity is in the system prompt). */
const from = (name: string) => (r: ModelRequest) => r.tools.length > 0 && r.system.includes(`You are "${name}"`);
const hears = (name: string, text: string) => (r: ModelRequest) => from(name)(r) && when.userSays(text)(r);
/** A turn that says something in the terminal and sends one relay message over MCP; slow enough to watch. */
const sayAndSend = (text: string, to: string, message: string): Turn => ({ text, toolCalls: [{ name: RELAY_SEND, input: { to, message } }], delayMs: 1500 });

const REQUEST = 'Could you review my change to src/tokenizer.ts? Words now split on any Unicode whitespace, and "\\r\\n" counts as one break.';
const REVIEW = 'Reviewed src/tokenizer.ts: the split is right. One nit: a lone "\\r" at the end of the input is dropped. In return, could you look at my flow-control patch in src/viewer.ts?';
const RETURN = 'Fixed the lone "\\r" (test added). Your src/viewer.ts patch: acking from the write callback is right, approve. Merge both?';
const CLOSE = 'Merging both now. Thanks, Ada!';

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  // The pinned CLIs, cached outside the repo (installed on a fresh machine, reused afterwards).
  await installPinnedClis({ log: (line) => console.log(`agent CLIs: ${line}`) });
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-relay-demo-claude-')));
  model = await startAnthropicServer(
    new ModelScript([
      { name: 'Grace is ready', when: hears(GRACE, 'You review code'), reply: { text: 'Ready: send me what to review.' }, times: 1 },
      { name: 'Ada asks', when: hears(ADA, 'ask Grace to review'), reply: sayAndSend('I will ask Grace to review the tokenizer change.', GRACE, REQUEST), times: 1 },
      { name: 'Grace reviews', when: hears(GRACE, 'src/tokenizer.ts? Words now split'), reply: { ...sayAndSend('Reading src/tokenizer.ts… looks good, one nit.', ADA, REVIEW), after: held }, times: 1 },
      { name: 'Ada returns the favour', when: hears(ADA, 'One nit: a lone'), reply: sayAndSend('Good catch. Fixing it, then reviewing src/viewer.ts.', GRACE, RETURN), times: 1 },
      { name: 'Grace closes', when: hears(GRACE, 'Fixed the lone'), reply: sayAndSend('Both reviews are done.', ADA, CLOSE), times: 1 },
      { name: 'Ada is done', when: hears(ADA, 'Merging both now'), reply: { text: 'Done: both changes reviewed and merged.', delayMs: 800 }, times: 1 },
    ]),
  );
});

test.afterAll(async ({ request }) => {
  holdInPlace(); // a failed run must not leave the review's request hanging
  for (const name of [ADA, GRACE]) await releaseViaApi(request, name);
  await model?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('tour: two real Claude Code workers review each other\'s work through the relay', async ({ page, request }) => {
  test.setTimeout(6 * 60_000);
  try {
    await tour(page, request);
  } catch (err) {
    // A failure says what each terminal showed and what the model was sent and answered.
    const screens = await Promise.all([ADA, GRACE].map(async (n) => `--- ${n}'s terminal:\n${await terminalText(page, n).catch(() => '(not shown)')}`));
    throw new Error(`${(err as Error).message}\n${screens.join('\n')}\nThe scripted model received:\n${model.log.describe()}`);
  }
});

async function tour(page: Page, request: APIRequestContext) {
  const claude = pinnedCli('claude');
  const project = serverInfo().projectRoot;
  /** Each worker gets a HOME holding Claude Code's first-run answers, as a user's would, and the scripted model's address. */
  const envFor = (name: string) => {
    const home = join(dir, `home-${name}`);
    prepareClaudeHome(home, { apiKey: API_KEY, folders: [project] });
    return claudeEnv({ home, baseUrl: model.url, apiKey: API_KEY, binDir: claude.binDir });
  };

  await page.setViewportSize({ width: 1600, height: 960 });
  await openDashboard(page);
  await page.getByTestId('grid-2').click();
  await spawnViaApi(request, { name: GRACE, cli: 'claude', team: 'review', task: 'You review code your peers send you.', env: envFor('grace') });
  await model.log.waitForCall((r) => from(GRACE)(r) && r.lastUserText.includes('You review code'), 120_000, "Grace's task");
  await spawnViaApi(request, { name: ADA, cli: 'claude', team: 'review', task: 'Your tokenizer change is ready: ask Grace to review it.', env: envFor('ada') });
  await openWorker(page, GRACE);
  await openWorker(page, ADA);
  await model.log.waitForCall(hears(ADA, 'ask Grace to review'), 120_000, "Ada's task");

  // A person holds Ada's deliveries while Grace reviews: Grace's answer waits, visible, until flushed.
  await page.getByTestId(`inject-menu-${ADA}`).click();
  await page.getByTestId(`inject-hold-${ADA}`).click();
  await expect(page.getByTestId(`inject-menu-${ADA}`)).toHaveAttribute('data-mode', 'hold');
  holdInPlace();
  await expectTerminalText(page, ADA, /ask Grace to review/, 60_000);
  await shot(page, '11-claude-two-workers');
  const timeline = page.getByTestId('message-timeline');
  await expect(timeline.locator(`[data-from="${ADA}"][data-to="${GRACE}"]`).first()).toBeVisible({ timeout: 120_000 });
  await model.log.waitForCall(hears(GRACE, 'src/tokenizer.ts? Words now split'), 120_000, "Ada's request to reach Grace's model");
  await expect(page.getByTestId(`held-count-${ADA}`)).toHaveText('1', { timeout: 120_000 });
  await shot(page, '12-claude-review-held');
  await page.getByTestId(`inject-flush-${ADA}`).click();
  await page.getByTestId(`inject-auto-${ADA}`).click();

  // The rest of the conversation: each turn reaches the other's model once, in order.
  await model.log.waitForCall(hears(ADA, 'One nit: a lone'), 120_000, "Grace's review to reach Ada's model");
  await model.log.waitForCall(hears(GRACE, 'Fixed the lone'), 120_000, "Ada's return review to reach Grace's model");
  await model.log.waitForCall(hears(ADA, 'Merging both now'), 120_000, "Grace's closing message to reach Ada's model");
  await expectTerminalText(page, ADA, /both changes reviewed and merged/, 60_000);
  const pair = timeline.locator(`[data-from="${ADA}"][data-to="${GRACE}"], [data-from="${GRACE}"][data-to="${ADA}"]`);
  await expect(pair).toHaveCount(4);
  for (const [who, text] of [[GRACE, 'src/tokenizer.ts? Words now split'], [ADA, 'One nit: a lone'], [GRACE, 'Fixed the lone'], [ADA, 'Merging both now']] as const) {
    const calls = model.log.modelCalls.filter((e) => hears(who, text)(e.request));
    expect(calls, `${who} received "${text}" once`).toHaveLength(1);
  }
  await shot(page, '13-claude-review-done');
}

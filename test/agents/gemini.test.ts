import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGeminiServer } from './harness/gemini';
import { geminiEnv, prepareGeminiHome } from './harness/gemini-home';
import type { ModelServer } from './harness/http';
import { pinnedCli } from './harness/install';
import { startAgentRelay, type AgentRelay } from './harness/relay';
import { ModelScript, when } from './harness/script';
import { waitFor } from '../spawn/helpers';

/**
 * The real, pinned Gemini CLI (test/agents/harness/install.ts) as a worker of a real relay, talking
 * to a scripted Gemini API server: what the model receives is asserted in the server's request log,
 * what reaches a peer in the relay's own message store.
 */

const gemini = pinnedCli('gemini');
const run = promisify(execFile);
const RELAY_BIN = fileURLToPath(new URL('../../bin/agent-relay.js', import.meta.url));
const SEND = 'mcp_agent-relay_relay_send';

let relay: AgentRelay;
let model: ModelServer | undefined;

beforeEach(async () => {
  relay = await startAgentRelay();
});
afterEach(async () => {
  await relay.close();
  await model?.close();
  model = undefined;
});

function homeFor(name: string, opts: { trust?: boolean } = {}) {
  const home = relay.folder(`home-${name}`);
  prepareGeminiHome(home, { folders: [relay.projectRoot], ...opts });
  return { home, env: geminiEnv({ home, baseUrl: model!.url, binDir: gemini.binDir }) };
}

/** Every file under `dir` with its content: the user's ~/.gemini before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

/** A plain peer worker (cat): what reaches it is in the relay's store, and typed into its terminal. */
async function startPeer(): Promise<void> {
  await relay.manager.spawn({ name: 'Peer', cli: 'cat' });
}

/**
 * Waits until Gemini's screen shows `text`; a timeout says what the worker was doing (attention,
 * the injection queue's wait, whether the task went in) and the screen's last rows, so a failure on
 * a loaded machine explains itself.
 */
async function screenShows(name: string, text: string, timeoutMs: number): Promise<void> {
  try {
    await waitFor(async () => (await relay.manager.snapshot(name)).data.includes(text), timeoutMs, `"${text}" on ${name}'s screen`);
  } catch (err) {
    const w = relay.manager.getWorker(name);
    // eslint-disable-next-line no-control-regex
    const screen = (await relay.manager.snapshot(name)).data.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').split(/\r?\n/).slice(-25).join('\n');
    const state = JSON.stringify({ status: w?.status, taskDelivered: w?.taskDelivered, attention: w?.attentionReason, injection: w?.injection });
    throw new Error(`${(err as Error).message}\nworker: ${state}\nmodel: ${model?.log.describe()}\nscreen:\n${screen}`);
  }
}

const messagesTo = (to: string, from: string) => relay.router.queryMessages({ to, from, limit: 100 }).filter((m) => m.from === from && m.to === to);

describe('Gemini CLI (real CLI, scripted model)', { timeout: 180_000 }, () => {
  it('types the task at its own prompt once the relay tools are listed: the model receives it, with the tools and its identity', async () => {
    model = await startGeminiServer(new ModelScript([{ name: 'task', when: when.userSays('count the files'), reply: { text: 'There are no files.' } }]));
    const { home, env } = homeFor('gem');
    const before = snapshot(join(home, '.gemini'));
    const info = await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please count the files', env });
    expect(info.status).not.toBe('exited');
    const got = await model.log.waitForCall(when.userSays('count the files'), 90_000, 'the task to reach the model');
    expect(got.tools).toContain(SEND);
    expect(got.system).toContain('You are "Gem"');
    expect(got.system).toContain('->relay:<Name>');
    await waitFor(() => relay.manager.getWorker('Gem')?.taskDelivered, 15_000, 'taskDelivered');
    const worker = relay.manager.getWorker('Gem')!;
    expect(worker.needsAttention, worker.attentionReason).toBeFalsy();
    // The answer is on Gemini's screen; nothing of ours was written into the user's ~/.gemini.
    await screenShows('Gem', 'There are no files.', 20_000);
    const after = snapshot(join(home, '.gemini'));
    for (const [path, content] of Object.entries(before)) expect(after[path], path).toBe(content);
    expect(Object.values(after).join('\n')).not.toContain('agent-relay');
  });

  it("its MCP relay_send reaches a peer as a message from it, and the model gets the tool's answer", async () => {
    model = await startGeminiServer(
      new ModelScript([
        { name: 'send', when: when.userSays('tell Peer'), reply: { toolCalls: [{ name: SEND, input: { to: 'Peer', message: 'hello from gemini over mcp' } }] }, times: 1 },
        { name: 'after send', when: when.toolResult(SEND), reply: { text: 'Sent it.' } },
      ]),
    );
    await startPeer();
    await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please tell Peer hello', env: homeFor('gem').env });
    await waitFor(() => messagesTo('Peer', 'Gem').some((m) => m.body === 'hello from gemini over mcp'), 90_000, 'the MCP message at Peer');
    const result = await model.log.waitForCall(when.toolResult(SEND), 30_000, 'the relay_send result');
    expect(result.toolResults.find((t) => t.name === SEND)?.isError).toBeFalsy();
    expect(messagesTo('Peer', 'Gem').filter((m) => m.body === 'hello from gemini over mcp')).toHaveLength(1);
  });

  it('a ->relay:Peer line the model writes reaches the peer exactly once, also after a resize and a redraw', async () => {
    model = await startGeminiServer(
      new ModelScript([{ name: 'relay line', when: when.userSays('report to Peer'), reply: { text: 'Done.\n->relay:Peer the build is green\nThat is all.' }, times: 1 }]),
    );
    await startPeer();
    await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please report to Peer', env: homeFor('gem').env });
    await waitFor(() => messagesTo('Peer', 'Gem').length > 0, 90_000, 'the ->relay: message at Peer');
    relay.manager.resize('Gem', 90, 26);
    await new Promise((r) => setTimeout(r, 1500));
    relay.manager.sendWorkerInput('Gem', '\x0c'); // Ctrl+L: Gemini CLI redraws its screen
    await new Promise((r) => setTimeout(r, 1500));
    relay.manager.resize('Gem', 120, 32);
    await new Promise((r) => setTimeout(r, 3000));
    expect(messagesTo('Peer', 'Gem').map((m) => m.body)).toEqual(['the build is green']);
  });

  it('a message sent to it is typed into its prompt and submitted: the model receives it', async () => {
    model = await startGeminiServer(
      new ModelScript([
        { name: 'task', when: when.userSays('wait for news'), reply: { text: 'Waiting.' } },
        { name: 'news', when: when.userSays('the release is out'), reply: { text: 'Noted.' } },
      ]),
    );
    await startPeer();
    await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please wait for news', env: homeFor('gem').env });
    await model.log.waitForCall(when.userSays('wait for news'), 90_000, 'the task');
    await waitFor(() => relay.manager.getWorker('Gem')?.taskDelivered, 15_000, 'taskDelivered');
    relay.router.sendAs('Peer', 'Gem', 'the release is out');
    const got = await model.log.waitForCall(when.userSays('the release is out'), 60_000, 'the relayed message');
    expect(got.lastUserText).toMatch(/Relay message from Peer \[[0-9a-f]{8}\]: the release is out/);
    // Submitted once: the model saw it in exactly one user turn.
    await new Promise((r) => setTimeout(r, 2000));
    expect(model.log.modelCalls.filter((e) => e.request.tools.length > 0 && e.request.lastUserText.includes('the release is out'))).toHaveLength(1);
    await screenShows('Gem', 'Noted.', 20_000);
  });

  it('an untrusted folder shows as needs-attention with its reason, and nothing is typed into the dialog', async () => {
    model = await startGeminiServer(new ModelScript());
    const { home, env } = homeFor('gem', { trust: false });
    const trustFile = join(home, '.gemini', 'trustedFolders.json');
    const trustBefore = readFileSync(trustFile, 'utf8');
    await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please count the files', env });
    const worker = await waitFor(() => {
      const w = relay.manager.getWorker('Gem');
      return w?.needsAttention ? w : undefined;
    }, 60_000, 'needs-attention');
    expect(worker.attentionReason).toMatch(/Gemini CLI asks whether you trust this folder: answer in its terminal/);
    expect(worker.taskDelivered).toBe(false);
    await new Promise((r) => setTimeout(r, 3000));
    expect(relay.manager.getWorker('Gem')?.taskDelivered).toBe(false);
    expect(model.log.modelCalls.filter((e) => e.request.lastUserText.includes('count the files'))).toHaveLength(0);
    expect((await relay.manager.snapshot('Gem')).data).toContain('Do you trust the files in this folder?');
    expect(readFileSync(trustFile, 'utf8')).toBe(trustBefore);
  });

  it('is released politely: /quit, and Gemini CLI exits by itself (exit 0)', async () => {
    // The release grace `agent-relay up` uses (5 s): Gemini CLI's polite exit takes seconds on a busy machine.
    await relay.close();
    relay = await startAgentRelay({ releaseGraceMs: 5000 });
    model = await startGeminiServer(new ModelScript([{ name: 'task', when: when.userSays('say hi'), reply: { text: 'Hi there.' } }]));
    await relay.manager.spawn({ name: 'Gem', cli: 'gemini', task: 'please say hi', env: homeFor('gem').env });
    // Answered: Gemini CLI has finished starting (before that it queues even slash commands).
    await screenShows('Gem', 'Hi there.', 90_000);
    const outcome = await relay.manager.release('Gem');
    expect(outcome).toMatchObject({ endedBy: 'exit', exitCode: 0 });
    const out = await relay.manager.readOutput('Gem', 0, 64 * 1024 * 1024);
    // eslint-disable-next-line no-control-regex
    expect(out.data.toString('utf8').replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')).toContain('Agent powering down. Goodbye!');
  });

  it('`gemini mcp list` lists the agent-relay server `agent-relay mcp install -e gemini` wrote, enabled', async () => {
    const home = relay.folder('home-install');
    prepareGeminiHome(home, { folders: [relay.projectRoot] });
    const env = { ...process.env, HOME: home, AGENT_RELAY_HOME: join(relay.dir, 'relay-home') };
    await run(process.execPath, [RELAY_BIN, 'mcp', 'install', '-e', 'gemini'], { env, cwd: relay.projectRoot });
    const settings = JSON.parse(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8'));
    expect(settings.security.auth.selectedType).toBe('gemini-api-key');
    expect(settings.mcpServers['agent-relay'].args).toEqual([RELAY_BIN, 'mcp', 'serve']);
    // It prints its list on stderr. Its status is a live connect + ping within 5 s (MCP_LIST_DEFAULT_TIMEOUT_MSEC):
    // "Connected" here unloaded, but on a loaded machine our server can take longer to answer (3.4-6.7 s
    // measured at load 23) and shows "Disconnected". That the same command connects and serves the tools
    // is what the worker tests above prove (Gemini CLI lists mcp_agent-relay_* and relay_send works).
    // What must hold whatever the load: the installed entry is read, with our command, and enabled
    // (an untrusted folder would say "Disabled").
    const { stdout, stderr } = await run(gemini.bin, ['mcp', 'list'], { env, cwd: relay.projectRoot, timeout: 60_000 });
    const listed = `${stdout}${stderr}`;
    expect(listed).toContain(`agent-relay: ${process.execPath} ${RELAY_BIN} mcp serve (stdio) - `);
    expect(listed).toMatch(/[✓✗] agent-relay: .* - (Connected|Disconnected)/);
    expect(listed).not.toContain('Disabled');
  });
});

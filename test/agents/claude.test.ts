import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { WorkerError } from '../../lib/protocol';
import { startAnthropicServer } from './harness/anthropic';
import { claudeEnv, prepareClaudeHome, type ClaudeHomeOptions } from './harness/claude-home';
import type { ModelServer } from './harness/http';
import { pinnedCli } from './harness/install';
import { startAgentRelay, type AgentRelay } from './harness/relay';
import { ModelScript, when, type ModelRequest } from './harness/script';
import { HeadlessScreen } from '../../server/spawn/screen';
import { outputText, waitFor } from '../spawn/helpers';

/**
 * The real, pinned Claude Code (test/agents/harness/install.ts) as a worker of a real relay
 * (SpawnManager, router, daemon socket for its MCP server), talking to a scripted Anthropic server.
 * What the model received is asserted in the server's request log; nothing is mocked but the model.
 */

const claude = pinnedCli('claude');
const API_KEY = 'sk-ant-scripted-0123456789abcdefghijKLMN';
const RELAY_SEND = 'mcp__agent-relay__relay_send';
const isRoot = process.getuid?.() === 0;

let relay: AgentRelay;
let model: ModelServer | undefined;
let client: RelayClient | undefined;

beforeEach(async () => {
  relay = await startAgentRelay();
});
afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await relay.close();
  await model?.close();
  client = model = undefined;
});

/** A HOME for one worker with Claude Code's first-run answers (or some left out), and the env pointing it at the scripted model. */
function envFor(name: string, opts: Partial<ClaudeHomeOptions> & { sandbox?: boolean } = {}) {
  const home = relay.folder(`home-${name}`);
  prepareClaudeHome(home, { apiKey: API_KEY, folders: [relay.projectRoot], ...opts });
  return claudeEnv({ home, baseUrl: model!.url, apiKey: API_KEY, binDir: claude.binDir, sandbox: opts.sandbox });
}

/** A main-loop request (tools offered) made by the worker named `name` (its identity is in the system prompt). */
const from = (name: string) => (r: ModelRequest) => r.tools.length > 0 && r.system.includes(`You are "${name}"`);
const mainCalls = (name: string) => model!.log.modelCalls.filter((e) => from(name)(e.request)).map((e) => e.request);

/** What the worker's terminal shows now, as text (its output replayed into a headless terminal of its size). */
async function renderedScreen(name: string): Promise<string> {
  const info = relay.manager.getWorker(name)!;
  const screen = new HeadlessScreen(info.cols, info.rows);
  try {
    screen.write(Buffer.from(await outputText(relay.manager, name), 'utf8'));
    return (await screen.readText())!.lines.join('\n');
  } finally {
    screen.dispose();
  }
}

async function connectClient(name: string): Promise<{ client: RelayClient; received: RelayMessage[] }> {
  const received: RelayMessage[] = [];
  client = new RelayClient({ name, socketPath: relay.socketPath, reconnect: false });
  client.onMessage((m) => {
    received.push(m);
  });
  await client.connect();
  return { client, received };
}

describe('Claude Code as a worker (real CLI, scripted model)', { timeout: 150_000 }, () => {
  it('types the task at its prompt once the relay tools are connected: the model receives it, with the tools and its identity', async () => {
    model = await startAnthropicServer(new ModelScript([{ name: 'task', when: when.userSays('count the files'), reply: { text: 'There are no files.' } }]));
    const info = await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'please count the files', env: envFor('ann') });
    expect(info.status).not.toBe('exited');
    const got = await model.log.waitForCall(when.userSays('please count the files'), 90_000, 'the task to reach the model');
    // The first turn already has our tools (not WaitForMcpServers) and knows who it is.
    expect(got.tools).toContain(RELAY_SEND);
    expect(got.system).toContain('You are "Ann"');
    expect(got.system).toContain('->relay:<Name>');
    await waitFor(() => relay.manager.getWorker('Ann')?.taskDelivered, 20_000, 'taskDelivered');
    // Typed once, as one message (bracketed paste, then Enter).
    expect(mainCalls('Ann').filter((r) => r.lastUserText.includes('please count the files'))).toHaveLength(1);
    const worker = relay.manager.getWorker('Ann')!;
    expect(worker.needsAttention).toBeFalsy();
    expect(worker.attentionReason).toBeUndefined();
  });

  it("the model's relay_send reaches a peer, and a message sent to the agent is typed in, submitted and reaches the model", async () => {
    model = await startAnthropicServer(
      new ModelScript([
        { name: 'send', when: when.userSays('greet Tester'), reply: { toolCalls: [{ name: RELAY_SEND, input: { to: 'Tester', message: 'hello from Ann via MCP' } }] } },
        { name: 'answer', when: when.userSays('what is two plus two'), reply: { text: 'Four.' } },
      ]),
    );
    const { client: tester, received } = await connectClient('Tester');
    await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'please greet Tester', env: envFor('ann') });
    const got = await waitFor(() => received.find((m) => m.body === 'hello from Ann via MCP'), 90_000, 'Tester to receive the MCP message');
    expect(got.from).toBe('Ann');
    expect(received).toHaveLength(1);
    // The tool call succeeded (its result went back to the model).
    const result = await model.log.waitForCall(when.toolResult(RELAY_SEND), 30_000, 'the tool result');
    expect(result.toolResults[0].isError).toBeUndefined();
    expect(result.toolResults[0].text).toContain('Sent to Tester');

    tester.send('Ann', 'what is two plus two\nanswer in one word');
    const asked = await model.log.waitForCall(when.userSays('what is two plus two'), 60_000, 'the message to reach the model');
    // Exactly the injected line, newlines flattened, from the sender.
    expect(asked.lastUserText).toMatch(/Relay message from Tester \[[0-9a-f]{8}\]: what is two plus two answer in one word/);
    expect(mainCalls('Ann').filter((r) => r.lastUserText.includes('what is two plus two'))).toHaveLength(1);
  });

  it('a ->relay: line the model writes reaches the peer exactly once, also after resizes and a redraw', async () => {
    const line = '->relay:Tester hello from Ann through her terminal, a line long enough to wrap once the pane gets narrow';
    model = await startAnthropicServer(
      new ModelScript([
        { name: 'answer with a relay line', when: when.userSays('tell Tester hello'), reply: { text: `Sure.\n${line}\nDone.` }, times: 1 },
        { name: 'later turn', when: when.userSays('anything else'), reply: { text: 'Nothing else.' }, times: 1 },
      ]),
    );
    const { received } = await connectClient('Tester');
    await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'please tell Tester hello', env: envFor('ann') });
    const got = await waitFor(() => received.find((m) => m.from === 'Ann'), 90_000, 'the ->relay: line to reach Tester');
    expect(got.body).toBe(line.slice('->relay:Tester '.length));
    // Claude Code reprints its transcript on resize; a redraw (Ctrl-L) repaints the screen; a new turn scrolls it.
    const settled = async (what: string) => {
      const before = relay.manager.getWorker('Ann')!.outputBytes;
      await waitFor(() => relay.manager.getWorker('Ann')!.outputBytes > before, 20_000, `${what} to redraw`);
      await waitFor(() => relay.manager.getWorker('Ann')?.status === 'idle', 30_000, `${what} to settle`);
    };
    relay.manager.resize('Ann', 60, 30);
    await settled('the narrow resize');
    relay.manager.resize('Ann', 140, 40);
    await settled('the wide resize');
    relay.manager.sendWorkerInput('Ann', '\x0c');
    await waitFor(() => relay.manager.getWorker('Ann')?.status === 'idle', 30_000, 'the redraw to settle');
    client!.send('Ann', 'anything else?');
    await model.log.waitForCall(when.userSays('anything else'), 60_000, 'the later turn');
    await waitFor(() => relay.manager.getWorker('Ann')?.status === 'idle', 30_000, 'the later turn to settle');
    expect(received.filter((m) => m.from === 'Ann').map((m) => m.body)).toEqual([got.body]);
  });

  it('a first-run dialog (Bypass Permissions not yet accepted) needs attention with its reason, and nothing is typed into it', async () => {
    model = await startAnthropicServer(new ModelScript());
    await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'please count the files', env: envFor('ann', { acceptBypass: false }) });
    const waiting = await waitFor(() => {
      const w = relay.manager.getWorker('Ann');
      return w?.needsAttention && w.injection?.waiting?.code === 'dialog' ? w : undefined;
    }, 60_000, 'the bypass dialog to be seen');
    expect(waiting.attentionReason).toMatch(/Claude Code asks you to accept Bypass Permissions mode: answer in its terminal/);
    expect(waiting.injection!.waiting!.reason).toBe(waiting.attentionReason);
    expect(waiting.taskDelivered).toBe(false);
    // The dialog's default answer exits: had anything been typed, it would be gone by now.
    await new Promise((r) => setTimeout(r, 3000));
    const still = relay.manager.getWorker('Ann')!;
    expect(still.status).not.toBe('exited');
    expect(still.taskDelivered).toBe(false);
    expect(model.log.modelCalls).toHaveLength(0);
    const screen = await renderedScreen('Ann');
    expect(screen).toContain('Yes, I accept');
    expect(screen).not.toContain('count the files');

    // A person answers it in the terminal (Down, Enter): the prompt comes and the task goes in.
    relay.manager.sendWorkerInput('Ann', '\x1b[B');
    await new Promise((r) => setTimeout(r, 300));
    relay.manager.sendWorkerInput('Ann', '\r');
    await model.log.waitForCall(when.userSays('please count the files'), 90_000, 'the task after the dialog was answered');
    await waitFor(() => !relay.manager.getWorker('Ann')?.needsAttention, 10_000, 'attention to clear');
  });

  it('the folder-trust and API-key dialogs are recognised too', async () => {
    model = await startAnthropicServer(new ModelScript());
    await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'hello', env: envFor('ann', { trust: false }) });
    const trust = await waitFor(() => relay.manager.getWorker('Ann')?.attentionReason, 60_000, 'the trust dialog');
    expect(trust).toMatch(/trust this folder/);
    await relay.manager.release('Ann');
    await relay.manager.spawn({ name: 'Bob', cli: 'claude', task: 'hello', env: envFor('bob', { approveKey: false }) });
    const key = await waitFor(() => relay.manager.getWorker('Bob')?.attentionReason, 60_000, 'the API key dialog');
    expect(key).toMatch(/ANTHROPIC_API_KEY/);
    expect(model.log.modelCalls).toHaveLength(0);
  });

  it.runIf(isRoot)('as root without IS_SANDBOX=1 the preset is refused at once with the ways out; with it, it runs', async () => {
    model = await startAnthropicServer(new ModelScript());
    const env = envFor('ann', { sandbox: false });
    const err = await relay.manager.spawn({ name: 'Ann', cli: 'claude', env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as WorkerError).code).toBe('ROOT_NOT_ALLOWED');
    expect((err as WorkerError).message).toContain('IS_SANDBOX=1');
    expect((err as WorkerError).message).toContain('non-root user');
    expect((err as WorkerError).message).toContain('Skip permission prompts');
    expect(relay.manager.getWorker('Ann')).toBeUndefined();
    // Interactive (no bypass flag): Claude Code runs as root and asks before acting.
    const interactive = await relay.manager.spawn({ name: 'Ann', cli: 'claude', interactive: true, env });
    expect(interactive.status).not.toBe('exited');
    await relay.manager.release('Ann');
    const sandboxed = await relay.manager.spawn({ name: 'Bob', cli: 'claude', env: { ...env, IS_SANDBOX: '1' } });
    expect(sandboxed.status).not.toBe('exited');
  });

  it('a Claude Code that exits right after starting is a spawn failure carrying its last output, never "spawned"', async () => {
    model = await startAnthropicServer(new ModelScript());
    const err = await relay.manager.spawn({ name: 'Ann', cli: 'claude', args: ['--no-such-flag'], env: envFor('ann') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as WorkerError).code).toBe('EXITED_AT_START');
    expect((err as WorkerError).message).toMatch(/Claude Code exited with code 1 right after it started/);
    expect((err as WorkerError).message).toContain("unknown option '--no-such-flag'");
    // The record stays (exited, with its log) so the dashboard can show what happened.
    expect(relay.manager.getWorker('Ann')?.status).toBe('exited');
    if (isRoot) {
      // A custom command named claude gets no preset flags and so no root check; its own
      // --dangerously-skip-permissions as root still fails as a spawn, with Claude Code's reason.
      const env = envFor('bob', { sandbox: false });
      const rootErr = await relay.manager.spawn({ name: 'Bob', cli: claude.bin, args: ['--dangerously-skip-permissions'], env }).catch((e: unknown) => e);
      expect((rootErr as WorkerError).code).toBe('EXITED_AT_START');
      expect((rootErr as WorkerError).message).toContain('cannot be used with root/sudo privileges');
    }
  });

  it('two Claude Code workers hold a three-turn conversation through the relay: nothing lost, duplicated or mangled', async () => {
    const turns = ['turn 1: hello Bob, shall we review the parser? "quotes" & <brackets> stay', 'turn 2: yes Ann — start with the tokenizer (ünïcode ok)', 'turn 3: done, thanks Bob'];
    const say = (to: string, message: string) => ({ toolCalls: [{ name: RELAY_SEND, input: { to, message } }] });
    model = await startAnthropicServer(
      new ModelScript([
        { name: 'Ann opens', when: (r) => from('Ann')(r) && when.userSays('start the review with Bob')(r), reply: say('Bob', turns[0]), times: 1 },
        { name: 'Bob answers', when: (r) => from('Bob')(r) && when.userSays('turn 1: hello Bob')(r), reply: say('Ann', turns[1]), times: 1 },
        { name: 'Ann closes', when: (r) => from('Ann')(r) && when.userSays('turn 2: yes Ann')(r), reply: say('Bob', turns[2]), times: 1 },
        { name: 'Bob ends', when: (r) => from('Bob')(r) && when.userSays('turn 3: done')(r), reply: { text: 'Glad to help.' }, times: 1 },
      ]),
    );
    await relay.manager.spawn({ name: 'Bob', cli: 'claude', task: 'wait for Ann', env: envFor('bob') });
    await model.log.waitForCall((r) => from('Bob')(r) && r.lastUserText.includes('wait for Ann'), 90_000, "Bob's task");
    await relay.manager.spawn({ name: 'Ann', cli: 'claude', task: 'please start the review with Bob', env: envFor('ann') });
    await model.log.waitForCall((r) => from('Bob')(r) && r.lastUserText.includes('turn 3: done'), 120_000, 'the third turn to reach Bob');
    // Each turn reached its model exactly once, whole, from the right sender.
    const received = (name: string, text: string) => mainCalls(name).filter((r) => r.lastUserText.includes(text));
    const [t1, t2, t3] = [received('Bob', turns[0]), received('Ann', turns[1]), received('Bob', turns[2])];
    expect([t1.length, t2.length, t3.length]).toEqual([1, 1, 1]);
    expect(t1[0].lastUserText).toContain(`Relay message from Ann [`);
    expect(t1[0].lastUserText).toContain(`]: ${turns[0]}`);
    expect(t2[0].lastUserText).toContain(`Relay message from Bob [`);
    expect(t2[0].lastUserText).toContain(`]: ${turns[1]}`);
    expect(t3[0].lastUserText).toContain(`]: ${turns[2]}`);
    // The relay stored exactly these three, in order.
    const stored = relay.router
      .queryMessages({ limit: 50 })
      .filter((m) => (m.from === 'Ann' || m.from === 'Bob') && (m.to === 'Ann' || m.to === 'Bob'))
      .sort((a, b) => a.timestamp - b.timestamp);
    expect(stored.map((m) => [m.from, m.to, m.body])).toEqual([
      ['Ann', 'Bob', turns[0]],
      ['Bob', 'Ann', turns[1]],
      ['Ann', 'Bob', turns[2]],
    ]);
  });
});

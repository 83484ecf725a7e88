import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkerError } from '../../lib/protocol';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { HeadlessScreen } from '../../server/spawn/screen';
import { outputText, waitFor } from '../spawn/helpers';
import { codexEnv, prepareCodexHome, type CodexHomeOptions } from './harness/codex-home';
import type { ModelServer } from './harness/http';
import { pinnedCli } from './harness/install';
import { startOpenAIServer } from './harness/openai';
import { startAgentRelay, type AgentRelay } from './harness/relay';
import { ModelScript, when, type ModelRequest } from './harness/script';

/**
 * The real, pinned Codex (test/agents/harness/install.ts) as a worker of a real relay (SpawnManager,
 * router, daemon socket for its MCP server), spawned with the `codex` preset exactly as the
 * dashboard spawns it, talking to a scripted OpenAI Responses server (harness/openai.ts). The
 * project is a git repository, as a user's is (Codex asks about trust only there).
 */

const codex = pinnedCli('codex');
/** Codex exposes MCP tools to its `exec` JavaScript as mcp__<server>__<tool>, the server's `-` as `_`. */
const RELAY_SEND = 'mcp__agent_relay__relay_send';

let relay: AgentRelay;
let model: ModelServer | undefined;
let client: RelayClient | undefined;

beforeEach(async () => {
  relay = await startAgentRelay();
  execFileSync('git', ['init', '-q'], { cwd: relay.projectRoot });
});
afterEach(async () => {
  await client?.disconnect().catch(() => {});
  await relay.close();
  await model?.close();
  client = model = undefined;
});

/** A HOME for one worker as a user's looks after setting up a provider and trusting the project (or not). */
function envFor(name: string, opts: Partial<CodexHomeOptions> & { trust?: boolean } = {}) {
  const home = relay.folder(`home-${name}`);
  prepareCodexHome(home, { modelUrl: model!.url, trusted: opts.trust === false ? [] : [relay.projectRoot], ...opts });
  return codexEnv({ home, binDir: codex.binDir });
}

/** A turn (tools offered) made by the worker named `name` (its identity is in the developer instructions). */
const from = (name: string) => (r: ModelRequest) => r.tools.length > 0 && r.system.includes(`You are "${name}"`);
const mainCalls = (name: string) => model!.log.modelCalls.filter((e) => from(name)(e.request)).map((e) => e.request);

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

describe('Codex as a worker (real CLI, scripted model)', { timeout: 150_000 }, () => {
  it('types the task at its prompt once the relay tools are connected: the model receives it, knows who it is and has the tools', async () => {
    model = await startOpenAIServer(
      new ModelScript([
        // The task's turn asks Codex which nested tools exist right now: our MCP tools must already be there.
        { name: 'list tools', when: when.userSays('count the files'), reply: { toolCalls: [{ name: 'exec', input: { js: 'text(JSON.stringify(ALL_TOOLS.map((t) => t.name)));' } }] } },
      ]),
    );
    const info = await relay.manager.spawn({ name: 'Cx', cli: 'codex', task: 'please count the files', env: envFor('cx') });
    expect(info.status).not.toBe('exited');
    const got = await model.log.waitForCall(when.userSays('please count the files'), 90_000, 'the task to reach the model');
    expect(got.system).toContain('You are "Cx"');
    expect(got.system).toContain('->relay:<Name>');
    const listed = await model.log.waitForCall(when.toolResult('exec'), 30_000, "the tool list from Codex's exec");
    expect(listed.toolResults[0].text).toContain(RELAY_SEND);
    await waitFor(() => relay.manager.getWorker('Cx')?.taskDelivered, 20_000, 'taskDelivered');
    // Typed once, as one message.
    expect(mainCalls('Cx').filter((r) => r.lastUserText.includes('please count the files'))).toHaveLength(1);
    const worker = relay.manager.getWorker('Cx')!;
    expect(worker.needsAttention).toBeFalsy();
    expect(worker.attentionReason).toBeUndefined();
    // The preset's flags, and no shared app-server daemon: without --no-daemon Codex would have
    // copied itself into ~/.codex/packages and started `codex app-server` in a session of its own.
    const { args } = relay.manager.resolve({ name: 'Other', cli: 'codex', env: envFor('other') });
    expect(args).toContain('--no-daemon');
    expect(args).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(args).not.toContain('--full-auto');
    expect(existsSync(join(relay.dir, 'home-cx', '.codex', 'packages'))).toBe(false);
  });

  it("the model's relay_send reaches a peer, and a message sent to the agent is typed in, submitted and reaches the model", async () => {
    model = await startOpenAIServer(
      new ModelScript([
        { name: 'send', when: when.userSays('greet Tester'), reply: { toolCalls: [{ name: RELAY_SEND, input: { to: 'Tester', message: 'hello from Cx via MCP' } }] } },
        { name: 'answer', when: when.userSays('what is two plus two'), reply: { text: 'Four.' } },
      ]),
    );
    const { client: tester, received } = await connectClient('Tester');
    await relay.manager.spawn({ name: 'Cx', cli: 'codex', task: 'please greet Tester', env: envFor('cx') });
    const got = await waitFor(() => received.find((m) => m.body === 'hello from Cx via MCP'), 90_000, 'Tester to receive the MCP message');
    expect(got.from).toBe('Cx');
    const result = await model.log.waitForCall(when.toolResult(RELAY_SEND), 30_000, 'the tool result');
    expect(result.toolResults[0].text).toContain('Sent to Tester as Cx');
    expect(received).toHaveLength(1);

    tester.send('Cx', 'what is two plus two\nanswer in one word');
    const asked = await model.log.waitForCall(when.userSays('what is two plus two'), 60_000, 'the message to reach the model');
    expect(asked.lastUserText).toMatch(/^Relay message from Tester \[[0-9a-f]{8}\]: what is two plus two answer in one word$/);
    expect(mainCalls('Cx').filter((r) => r.lastUserText.includes('what is two plus two'))).toHaveLength(1);
  });

  it('a ->relay: line the model writes reaches the peer exactly once, also after resizes and redraws', async () => {
    const long = 'hello Tester from Cx via output, a line long enough that Codex wraps it on a narrow pane: alpha beta gamma delta epsilon 0123456789 END';
    model = await startOpenAIServer(
      new ModelScript([
        { name: 'relay line', when: when.userSays('report to Tester'), reply: { text: `Reporting now.\n->relay:Tester ${long}` } },
        { name: 'plain', when: when.userSays('anything else'), reply: { text: 'Nothing else to report.' } },
        { name: 'second', when: when.userSays('one more'), reply: { text: '->relay:Tester second report' } },
      ]),
    );
    const { received } = await connectClient('Tester');
    await relay.manager.spawn({ name: 'Cx', cli: 'codex', task: 'please report to Tester', env: envFor('cx') });
    await waitFor(() => received.find((m) => m.body === long), 90_000, 'Tester to receive the ->relay: line');
    expect(received.map((m) => [m.from, m.body])).toEqual([['Cx', long]]);

    // Narrow (the line now wraps onto indented rows), wide again, and a new turn that repaints the screen.
    relay.manager.resize('Cx', 70, 24);
    await new Promise((r) => setTimeout(r, 1500));
    relay.manager.resize('Cx', 120, 32);
    await new Promise((r) => setTimeout(r, 1500));
    await client!.send('Cx', 'anything else?');
    await waitFor(async () => (await renderedScreen('Cx')).includes('Nothing else to report.'), 60_000, 'the second answer on screen');
    relay.manager.resize('Cx', 90, 30);
    await new Promise((r) => setTimeout(r, 2000));
    expect(received.filter((m) => m.from === 'Cx').map((m) => m.body)).toEqual([long]);

    // A new command is still seen (once) after all that.
    client!.send('Cx', 'one more please');
    await waitFor(() => received.find((m) => m.body === 'second report'), 60_000, 'the second ->relay: line');
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.filter((m) => m.from === 'Cx').map((m) => m.body)).toEqual([long, 'second report']);
  });

  it('the folder-trust question needs attention with its reason and gets nothing typed; answered by a person, the task goes in', async () => {
    model = await startOpenAIServer(new ModelScript());
    await relay.manager.spawn({ name: 'Cx', cli: 'codex', task: 'please count the files', env: envFor('cx', { trust: false }) });
    const waiting = await waitFor(() => {
      const w = relay.manager.getWorker('Cx');
      return w?.needsAttention && w.injection?.waiting?.code === 'dialog' ? w : undefined;
    }, 60_000, 'the trust dialog to be seen');
    expect(waiting.attentionReason).toMatch(/Codex asks whether to trust this folder: answer in its terminal/);
    expect(waiting.taskDelivered).toBe(false);
    await new Promise((r) => setTimeout(r, 2000));
    expect(relay.manager.getWorker('Cx')!.taskDelivered).toBe(false);
    expect(model.log.modelCalls).toHaveLength(0);
    const screen = await renderedScreen('Cx');
    expect(screen).toContain('Trust this folder?');
    expect(screen).not.toContain('count the files');

    // A person picks "1. Trust and continue" (the highlighted answer: Enter).
    relay.manager.sendWorkerInput('Cx', '\r');
    await model.log.waitForCall(when.userSays('please count the files'), 90_000, 'the task after the trust question was answered');
    await waitFor(() => !relay.manager.getWorker('Cx')?.needsAttention, 10_000, 'attention to clear');
  });

  it('the update offer (whose Enter would run npm install -g) needs attention and gets nothing typed', async () => {
    model = await startOpenAIServer(new ModelScript());
    await relay.manager.spawn({ name: 'Cx', cli: 'codex', task: 'please count the files', env: envFor('cx', { latestVersion: '99.0.0' }) });
    const reason = await waitFor(() => relay.manager.getWorker('Cx')?.attentionReason, 60_000, 'the update offer to be seen');
    expect(reason).toMatch(/Codex offers an update/);
    await new Promise((r) => setTimeout(r, 2000));
    expect(relay.manager.getWorker('Cx')!.status).not.toBe('exited');
    expect(relay.manager.getWorker('Cx')!.taskDelivered).toBe(false);
    expect(await renderedScreen('Cx')).toContain('Skip until next version');
    // "2. Skip", then the prompt and the task.
    relay.manager.sendWorkerInput('Cx', '2');
    await model.log.waitForCall(when.userSays('please count the files'), 90_000, 'the task after the update offer was skipped');
  });

  it('interactive: an approval request mid-session needs attention, and a message sent meanwhile waits until a person answers', async () => {
    model = await startOpenAIServer(
      new ModelScript([
        {
          name: 'escalate',
          when: when.userSays('write the probe'),
          reply: { toolCalls: [{ name: 'exec_command', input: { cmd: 'touch escalated-probe', sandbox_permissions: 'require_escalated', justification: 'Needs to write a probe file' } }] },
        },
        { name: 'later', when: when.userSays('are you there'), reply: { text: 'Yes.' } },
      ]),
    );
    const { client: tester } = await connectClient('Tester');
    // Skip permission prompts off: Codex asks before running what its sandbox does not allow.
    await relay.manager.spawn({ name: 'Cx', cli: 'codex', interactive: true, task: 'please write the probe', env: envFor('cx') });
    const reason = await waitFor(() => relay.manager.getWorker('Cx')?.attentionReason, 90_000, 'the approval request to be seen');
    expect(reason).toMatch(/Codex asks for approval: answer in its terminal/);
    expect(await renderedScreen('Cx')).toContain('Would you like to run the following command?');
    tester.send('Cx', 'are you there?');
    // Codex keeps its title blinking ("[ ! ] Action Required"), so the wait first reads as output
    // still arriving (soft); once that gives way, the dialog holds it (hard).
    const waiting = await waitFor(() => {
      const w = relay.manager.getWorker('Cx')!.injection?.waiting;
      return w?.code === 'dialog' ? w : undefined;
    }, 20_000, 'the message to wait for the dialog');
    expect(waiting.reason).toBe(reason);
    await new Promise((r) => setTimeout(r, 2000));
    expect(mainCalls('Cx').some((r) => r.lastUserText.includes('are you there'))).toBe(false);
    // A person approves (y): the command runs, the turn ends, and the waiting message goes in.
    relay.manager.sendWorkerInput('Cx', 'y');
    await model.log.waitForCall(when.toolResult('exec_command'), 60_000, 'the approved command\'s result');
    await model.log.waitForCall(when.userSays('are you there'), 60_000, 'the message held while the approval was up');
    expect(existsSync(join(relay.projectRoot, 'escalated-probe'))).toBe(true);
  });

  it('a Codex that exits right after starting is a spawn failure carrying its last output; release ends a running one politely', async () => {
    // The release grace `agent-relay up` uses (5 s; this harness's default is 3 s): Codex stops its MCP
    // servers before it exits, which took over 3 s once in a fresh-clone CI run (SIGTERM then).
    await relay.close();
    relay = await startAgentRelay({ releaseGraceMs: 5000 });
    execFileSync('git', ['init', '-q'], { cwd: relay.projectRoot });
    model = await startOpenAIServer(new ModelScript());
    // What the old preset did: --full-auto no longer exists.
    const err = await relay.manager.spawn({ name: 'Old', cli: 'codex', args: ['--full-auto'], env: envFor('old') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as WorkerError).code).toBe('EXITED_AT_START');
    expect((err as WorkerError).message).toMatch(/exited with code 2 right after it started/);
    expect((err as WorkerError).message).toContain("unexpected argument '--full-auto'");
    expect(relay.manager.getWorker('Old')?.status).toBe('exited');

    await relay.manager.spawn({ name: 'Cx', cli: 'codex', env: envFor('cx') });
    await waitFor(async () => (await renderedScreen('Cx')).includes('Ask Codex to do anything'), 60_000, 'its prompt');
    const outcome = await relay.manager.release('Cx');
    expect(outcome.endedBy).toBe('exit');
    expect(relay.manager.getWorker('Cx')?.exitCode).toBe(0);
  });
});

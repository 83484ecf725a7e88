import * as pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { BIN, eventually, makeSandbox, startTestDaemon, type Sandbox, type TestDaemon } from '../mcp/harness';

/**
 * `agent-relay run` end to end: the CLI runs in a real PTY (standing in for the user's terminal),
 * wraps bash in its own PTY, and is on a real daemon as agent Lead.
 */

let sandbox: Sandbox;
let daemon: TestDaemon | undefined;
let bob: RelayClient | undefined;
const terminals: pty.IPty[] = [];

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(async () => {
  for (const t of terminals.splice(0)) {
    try {
      t.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  await bob?.disconnect().catch(() => {});
  await daemon?.close();
  bob = daemon = undefined;
  sandbox.cleanup();
});

interface Terminal {
  term: pty.IPty;
  screen(): string;
  exited: Promise<number>;
}

function runInTerminal(args: string[], cwd: string): Terminal {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(sandbox.env)) if (v !== undefined) env[k] = v;
  // A plain prompt so the test reads the output, not a user's PS1.
  Object.assign(env, { PS1: '$ ', TERM: 'xterm-256color' });
  const term = pty.spawn(process.execPath, [BIN, 'run', ...args], { cwd, env, cols: 100, rows: 30, name: 'xterm-256color' });
  terminals.push(term);
  let out = '';
  term.onData((d) => (out += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return { term, screen: () => out, exited };
}

describe('agent-relay run', { timeout: 60_000 }, () => {
  it('types messages for the agent into its terminal and sends its ->relay: lines', async () => {
    daemon = await startTestDaemon(sandbox);
    bob = new RelayClient({ name: 'Bob', socketPath: daemon.socketPath, reconnect: false });
    const received: RelayMessage[] = [];
    bob.onMessage((m) => void received.push(m));
    await bob.connect();

    // Started in an unrelated directory: the marker leads it to the daemon.
    const t = runInTerminal(['--name', 'Lead', '--', 'bash', '--noprofile', '--norc', '-i'], sandbox.elsewhere);
    await eventually(() => (t.screen().includes('connected as Lead') ? true : undefined), 'the wrapper to connect');
    const agents = await bob.listAgents();
    expect(agents.map((a) => a.name)).toContain('Lead');

    bob.send('Lead', 'hi there');
    await eventually(() => (t.screen().includes('Relay message from Bob [') && t.screen().includes(': hi there') ? true : undefined), 'the message in the terminal');
    // The injection presses Enter ~50 ms after the text; typing before bash has run that line and
    // shown its prompt again would append our keys to the injected line.
    await eventually(() => (t.screen().split(': hi there').pop()!.includes('$ ') ? true : undefined), 'the prompt after the injected line');

    t.term.write("echo '->relay:Bob hello'\r");
    const got = await eventually(() => received.find((m) => m.body === 'hello'), 'Bob to receive the ->relay: line');
    expect(got.from).toBe('Lead');

    t.term.write('exit 3\r');
    expect(await t.exited).toBe(3);
  }, 60_000);

  it('a message that arrives while the person types at the wrapped terminal waits until they pause', async () => {
    daemon = await startTestDaemon(sandbox);
    bob = new RelayClient({ name: 'Bob', socketPath: daemon.socketPath, reconnect: false });
    await bob.connect();
    const t = runInTerminal(['--name', 'Typist', '--', 'bash', '--noprofile', '--norc', '-i'], sandbox.elsewhere);
    await eventually(() => (t.screen().includes('connected as Typist') ? true : undefined), 'the wrapper to connect');
    await eventually(() => (t.screen().includes('$ ') ? true : undefined), 'the prompt');
    const keys = [...'echo typed-$((20+22))', '\r'];
    let lastKeyAt = 0;
    for (const [i, key] of keys.entries()) {
      t.term.write(key);
      lastKeyAt = Date.now();
      if (i === 3) bob.send('Typist', 'arrived mid-line');
      await new Promise((r) => setTimeout(r, 200));
    }
    // Lower bound only: until 3 s after the last key nothing is typed over the person.
    const checkAt = lastKeyAt + 2500;
    if (Date.now() < checkAt) await new Promise((r) => setTimeout(r, checkAt - Date.now()));
    expect(t.screen()).not.toContain('Relay message from Bob');
    await eventually(() => (t.screen().includes(': arrived mid-line') ? true : undefined), 'the message after the pause');
    const screen = t.screen();
    expect(screen).toContain('typed-42');
    expect(screen.indexOf('typed-42')).toBeLessThan(screen.indexOf('Relay message from Bob'));
    // The injection's Enter follows its text ~50 ms later: a ^D before bash has run that line lands on
    // a non-empty line, where it does nothing, and the wrapper never exits (a 60 s timeout in CI).
    await eventually(() => (t.screen().split(': arrived mid-line').pop()!.includes('$ ') ? true : undefined), 'the prompt after the injected line');
    t.term.write('\x04');
    await t.exited;
  }, 60_000);

  it('passes the exit code through and runs the command even with no daemon', async () => {
    const t = runInTerminal(['--name', 'Solo', '--', 'bash', '-c', 'echo wrapped-output; exit 7'], sandbox.elsewhere);
    expect(await t.exited).toBe(7);
    expect(t.screen()).toContain('wrapped-output');
    expect(t.screen()).toContain('agent-relay up');
  });

  it('refuses an unknown command before starting anything', async () => {
    const t = runInTerminal(['--', 'no-such-command-xyz'], sandbox.elsewhere);
    expect(await t.exited).toBe(1);
    expect(t.screen()).toMatch(/CLI_NOT_FOUND/);
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEX_DIALOGS, codexAtPrompt, codexComposer, codexProfile, codexPromptHasUnsentText } from '../../server/agents/codex';
import type { ScreenText } from '../../server/agents/types';
import { HeadlessScreen } from '../../server/spawn/screen';
import { codexEnv, prepareCodexHome, type CodexHomeOptions } from './harness/codex-home';
import type { ModelServer } from './harness/http';
import { pinnedCli } from './harness/install';
import { startOpenAIServer } from './harness/openai';
import { ModelScript, when } from './harness/script';
import { REPO_ROOT, runCli } from '../cli/helpers';

const codex = pinnedCli('codex');

/**
 * The codex profile against the real, pinned Codex CLI in a real PTY, its screen read the way a
 * worker reads it (HeadlessScreen.readText): the recognisers see the prompt, a running turn, text
 * a person left, and the first-run dialogs as they appear; a message submitted the profile's way
 * reaches the scripted model whole; the polite exit ends it with code 0.
 */

let model: ModelServer;
let dir: string;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'codex-live-')));
  model = await startOpenAIServer(
    new ModelScript(
      [{ name: 'slow', when: when.userSays('take your time'), reply: { text: 'finally done', delayMs: 4000 } }],
      (r) => (r.tools.length === 0 ? { text: 'Scripted title' } : { text: `echo: ${r.lastUserText}` }),
    ),
  );
});

afterAll(async () => {
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Live {
  screen(): Promise<ScreenText>;
  waitFor(what: string, predicate: (s: ScreenText) => boolean, timeoutMs?: number): Promise<ScreenText>;
  write(data: string): void;
  exited: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

function gitRepo(name: string): string {
  const repo = join(dir, name);
  mkdirSync(repo);
  execFileSync('git', ['init', '-q'], { cwd: repo });
  return repo;
}

/** Codex in a PTY with its own HOME (prepared unless `home: false`: a HOME as a new user has it). */
function startCodex(cwd: string, homeName: string, options: Partial<CodexHomeOptions> | false = {}, args: string[] = []): Live {
  const home = join(dir, homeName);
  // Codex refuses a CODEX_HOME that does not exist (codexEnv sets it): an empty one is a new user's.
  mkdirSync(join(home, '.codex'), { recursive: true });
  if (options !== false) prepareCodexHome(home, { modelUrl: model.url, ...options });
  const env = { ...process.env, ...codexEnv({ home, binDir: codex.binDir }) } as Record<string, string>;
  return run(env, cwd, args);
}

function run(env: Record<string, string>, cwd: string, args: string[]): Live {
  const headless = new HeadlessScreen(100, 30);
  const child = pty.spawn(codex.bin, [...codexProfile.args({ skipPermissions: true }), ...args], { name: 'xterm-256color', cols: 100, rows: 30, cwd, env });
  child.onData((d) => headless.write(Buffer.from(d, 'utf8')));
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => child.onExit(resolve));
  let done = false;
  void exited.then(() => (done = true));
  const screen = async () => (await headless.readText())!;
  return {
    screen,
    async waitFor(what, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = await screen();
      while (!predicate(last)) {
        if (done || Date.now() > deadline) throw new Error(`Codex never showed ${what}${done ? ' (it exited)' : ''}. Screen:\n${last.lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
        last = await screen();
      }
      return last;
    },
    write: (data) => child.write(data),
    exited,
    kill: () => {
      if (!done) child.kill('SIGKILL');
      headless.dispose();
    },
  };
}

const dialogIds = (s: ScreenText) => CODEX_DIALOGS.filter((d) => d.matches(s)).map((d) => d.id);

/** The profile's way of typing a message: bracketed paste, then Enter after its delay. */
async function submit(live: Live, text: string): Promise<void> {
  expect(codexProfile.submit.bracketedPaste).toBe(true);
  live.write(`\x1b[200~${text}\x1b[201~`);
  await new Promise((r) => setTimeout(r, codexProfile.submit.enterDelayMs));
  live.write('\r');
}

describe('codex profile against the real Codex CLI', () => {
  it('sees the prompt, a running turn and unsent text; a pasted message reaches the model whole; the polite exit ends it', async () => {
    const repo = gitRepo('trusted');
    const live = startCodex(repo, 'home-trusted', { trusted: [repo] });
    try {
      const ready = await live.waitFor('its prompt', codexAtPrompt);
      expect(ready.altScreen).toBe(true);
      expect(ready.bracketedPaste).toBe(true);
      expect(codexPromptHasUnsentText(ready)).toBe(false);
      expect(dialogIds(ready)).toEqual([]);

      await submit(live, 'first line\nsecond line');
      await model.log.waitForCall((r) => r.tools.length > 0 && r.lastUserText === 'first line\nsecond line', 20_000, 'the pasted two-line message');
      await live.waitFor('the answer, back at the prompt', (s) => codexAtPrompt(s) && s.lines.some((l) => l.includes('echo: first line')));

      await submit(live, 'take your time');
      const busy = await live.waitFor('a running turn', (s) => s.lines.some((l) => l.includes('esc to interrupt')));
      expect(codexAtPrompt(busy)).toBe(false);
      await live.waitFor('the slow answer', (s) => codexAtPrompt(s) && s.lines.some((l) => l.includes('finally done')), 20_000);

      live.write('half typed');
      const typed = await live.waitFor('the typed text', (s) => codexComposer(s)?.text === 'half typed');
      expect(codexPromptHasUnsentText(typed)).toBe(true);

      live.write([codexProfile.politeExit!].flat().join('')); // a string for Codex (an array is typed in parts by the Worker)
      const exit = await Promise.race([live.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Codex did not exit on its polite exit within 10 s')), 10_000))]);
      expect(exit.exitCode).toBe(0);
      // The unsent text was cleared, never sent.
      expect(model.log.modelCalls.some((e) => e.request.transcript.includes('half typed'))).toBe(false);
    } finally {
      live.kill();
    }
  }, 90_000);

  it('recognises the trust question in an untrusted repository and the update offer as dialogs, never as its prompt', async () => {
    const repo = gitRepo('untrusted');
    const live = startCodex(repo, 'home-untrusted');
    try {
      const trust = await live.waitFor('the trust question', (s) => dialogIds(s).length > 0);
      expect(dialogIds(trust)).toEqual(['trust-folder']);
      expect(codexAtPrompt(trust)).toBe(false);
    } finally {
      live.kill();
    }

    const trustedRepo = gitRepo('update');
    const offered = startCodex(trustedRepo, 'home-update', { trusted: [trustedRepo], latestVersion: '99.0.0' });
    try {
      const update = await offered.waitFor('the update offer', (s) => dialogIds(s).length > 0);
      expect(dialogIds(update)).toEqual(['update']);
      expect(codexAtPrompt(update)).toBe(false);
    } finally {
      offered.kill();
    }
  }, 60_000);

  it('recognises the sign-in screen of a HOME with no provider set up', async () => {
    const repo = gitRepo('fresh');
    const live = startCodex(repo, 'home-fresh', false);
    try {
      const signIn = await live.waitFor('the sign-in screen', (s) => dialogIds(s).length > 0);
      expect(dialogIds(signIn)).toEqual(['sign-in']);
      expect(codexAtPrompt(signIn)).toBe(false);
    } finally {
      live.kill();
    }
  }, 60_000);
});

describe('agent-relay mcp install, read by the real Codex CLI', () => {
  it('codex mcp list and mcp get show agent-relay as `agent-relay mcp install --editor codex` wrote it', async () => {
    const home = join(dir, 'home-mcp');
    const project = gitRepo('mcp-project');
    mkdirSync(home);
    // A user's environment: their HOME, no CODEX_HOME, no relay of ours to find.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, AGENT_RELAY_HOME: join(home, '.agent-relay') };
    delete env.CODEX_HOME;
    delete env.RELAY_SOCKET;
    const install = await runCli(['mcp', 'install', '--editor', 'codex'], { cwd: project, env });
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain(`Codex: agent-relay added to ${join(home, '.codex', 'config.toml')}`);

    const list = await promisify(execFile)(codex.bin, ['mcp', 'list'], { cwd: project, env });
    const row = list.stdout.split('\n').find((l) => l.startsWith('agent-relay '));
    expect(row, list.stdout).toBeDefined();
    expect(row).toContain(process.execPath);
    expect(row).toContain(`${join(REPO_ROOT, 'bin', 'agent-relay.js')} mcp serve`);
    expect(row).toMatch(/\benabled\b/);

    const get = await promisify(execFile)(codex.bin, ['mcp', 'get', 'agent-relay'], { cwd: project, env });
    expect(get.stdout).toContain('enabled: true');
    expect(get.stdout).toContain('transport: stdio');
    expect(get.stdout).toContain(`command: ${process.execPath}`);
  }, 60_000);
});

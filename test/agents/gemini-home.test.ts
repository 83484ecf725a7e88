import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GEMINI_IDENTITY_FILE, geminiIdentityFile, planGeminiHome, readUserGeminiSettings, workerGeminiSettings } from '../../server/agents/gemini-home';
import type { McpServerSpec, WorkerContext } from '../../server/agents/types';

/**
 * The per-worker GEMINI_CLI_HOME plan: the user's ~/.gemini is read, never written; the worker's copy
 * of settings.json adds our MCP server and instructions file; everything else is linked. (The
 * real-CLI tests prove Gemini CLI loads it: test/agents/gemini.real.test.ts.)
 */

let dir: string;
let home: string;
const server: McpServerSpec = { command: '/usr/bin/node', args: ['/x/agent-relay.js', 'mcp', 'serve'], env: { RELAY_AGENT_NAME: 'Gem' } };

const worker = (env: Record<string, string> = {}): WorkerContext => ({
  name: 'Gem', peers: [], dataDir: join(dir, 'data'), privateDir: join(dir, 'data', 'workers', 'Gem'), socketPath: join(dir, 'sock'), outboxDir: join(dir, 'outbox'), cwd: join(dir, 'project'),
  env: { HOME: home, ...env },
});

function snapshot(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    out[full] = entry.isFile() ? readFileSync(full, 'utf8') : `<${statSync(full).mode.toString(8)}>`;
  }
  return out;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gemini-home-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.gemini', 'extensions'), { recursive: true });
  mkdirSync(join(home, '.agents'), { recursive: true });
  writeFileSync(join(home, '.gemini', 'oauth_creds.json'), '{"token":"t"}');
  writeFileSync(join(home, '.gemini', 'GEMINI.md'), 'my own memory');
  writeFileSync(join(home, '.gemini', 'trustedFolders.json'), '{}');
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    '{\n  // a comment, as Gemini CLI allows\n  "security": {"auth": {"selectedType": "oauth-personal"}},\n  "mcpServers": {"mine": {"command": "x"}, "agent-relay": {"command": "old"}},\n  "context": {"fileName": "AGENTS.md"}\n}\n',
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('planGeminiHome', () => {
  it('copies the user settings (comments allowed) with our server and instructions file added, links the rest', () => {
    const before = snapshot(home);
    const plan = planGeminiHome(worker(), server);
    const workerHome = join(dir, 'data', 'workers', 'Gem', 'gemini-home');
    expect(plan.env).toEqual({ GEMINI_CLI_HOME: workerHome, GEMINI_CLI_TRUSTED_FOLDERS_PATH: join(home, '.gemini', 'trustedFolders.json') });

    const settings = JSON.parse(plan.files.find((f) => f.path === join(workerHome, '.gemini', 'settings.json'))!.content);
    expect(settings.security).toEqual({ auth: { selectedType: 'oauth-personal' } });
    expect(settings.mcpServers.mine).toEqual({ command: 'x' });
    expect(settings.mcpServers['agent-relay']).toEqual(server);
    expect(settings.context.fileName).toEqual(['AGENTS.md', GEMINI_IDENTITY_FILE]);
    expect(geminiIdentityFile(worker(), 'You are Gem.')).toEqual({ path: join(workerHome, '.gemini', GEMINI_IDENTITY_FILE), content: 'You are Gem.\n' });

    const links = Object.fromEntries(plan.links.map((l) => [l.path, l.target]));
    expect(links).toEqual({
      [join(workerHome, '.gemini', 'extensions')]: join(home, '.gemini', 'extensions'),
      [join(workerHome, '.gemini', 'oauth_creds.json')]: join(home, '.gemini', 'oauth_creds.json'),
      [join(workerHome, '.gemini', 'GEMINI.md')]: join(home, '.gemini', 'GEMINI.md'),
      [join(workerHome, '.gemini', 'trustedFolders.json')]: join(home, '.gemini', 'trustedFolders.json'),
      [join(workerHome, '.agents')]: join(home, '.agents'),
    });
    expect(snapshot(home)).toEqual(before);
  });

  it('works for a user who never ran Gemini CLI (no ~/.gemini): defaults plus ours, nothing to link', () => {
    rmSync(home, { recursive: true });
    const plan = planGeminiHome(worker(), server);
    expect(plan.links).toEqual([]);
    const settings = JSON.parse(plan.files[0].content);
    expect(settings).toEqual({ mcpServers: { 'agent-relay': server }, context: { fileName: ['GEMINI.md', GEMINI_IDENTITY_FILE] } });
  });

  it("follows the user's own GEMINI_CLI_HOME and GEMINI_CLI_TRUSTED_FOLDERS_PATH", () => {
    const other = join(dir, 'other');
    mkdirSync(join(other, '.gemini'), { recursive: true });
    writeFileSync(join(other, '.gemini', 'settings.json'), '{"ui": {"theme": "X"}}');
    const plan = planGeminiHome(worker({ GEMINI_CLI_HOME: other, GEMINI_CLI_TRUSTED_FOLDERS_PATH: '/etc/trust.json' }), server);
    expect(JSON.parse(plan.files[0].content).ui).toEqual({ theme: 'X' });
    expect(plan.env.GEMINI_CLI_TRUSTED_FOLDERS_PATH).toBe('/etc/trust.json');
    expect(plan.env.GEMINI_CLI_HOME).toBe(join(dir, 'data', 'workers', 'Gem', 'gemini-home'));
  });

  it('an unreadable settings.json is a clear error naming the file, not a silent empty copy', () => {
    writeFileSync(join(home, '.gemini', 'settings.json'), '{ "a": ');
    expect(() => planGeminiHome(worker(), server)).toThrow(/settings\.json is not valid JSON .*fix the file/);
    writeFileSync(join(home, '.gemini', 'settings.json'), '[1]');
    expect(() => readUserGeminiSettings(join(home, '.gemini', 'settings.json'))).toThrow(/not a JSON object/);
  });

  it('keeps a fileName list that already names our file, and works without an MCP server', () => {
    expect(workerGeminiSettings({ context: { fileName: ['A.md', GEMINI_IDENTITY_FILE] } }, undefined)).toEqual({ context: { fileName: ['A.md', GEMINI_IDENTITY_FILE] } });
  });
});

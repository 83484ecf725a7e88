import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EDITORS, EDITOR_NAMES, type EditorId } from '../../server/mcp/editors';
import { installMcp, SERVER_KEY } from '../../server/mcp/install';

const server = { command: '/usr/bin/node', args: ['/opt/agent-relay/bin/agent-relay.js', 'mcp', 'serve'] };

let home: string;
let project: string;
const env = () => ({ HOME: home }) as unknown as NodeJS.ProcessEnv;
const run = (editors: EditorId[], extra: Partial<Parameters<typeof installMcp>[0]> = {}) =>
  installMcp({ editors, server, home, env: env(), platform: 'linux', projectRoot: project, ...extra });

function read(path: string): Record<string, any> {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.toml') ? (parseToml(text) as Record<string, any>) : JSON.parse(text);
}

function seed(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** An existing config for each editor holding another server and an unrelated setting. */
function existingConfig(id: EditorId): string {
  const key = EDITORS[id].containerKey;
  if (EDITORS[id].format === 'toml') {
    return `# my codex settings\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "other-server"\nargs = ["--flag"]\n`;
  }
  return JSON.stringify({ theme: 'dark', [key]: { other: { command: 'other-server', args: ['--flag'] } } }, null, 2);
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'relay-home-'));
  project = mkdtempSync(join(tmpdir(), 'relay-proj-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

describe('mcp install', () => {
  for (const id of EDITOR_NAMES) {
    const editor = EDITORS[id];
    it(`${id}: adds our server to an existing user config and keeps the other entries`, () => {
      const path = editor.path('user', { home, platform: 'linux', env: env(), projectRoot: project })!;
      seed(path, existingConfig(id));
      const [result] = run([id]);
      expect(result.status).toBe('created');
      expect(result.path).toBe(path);
      const doc = read(path);
      expect(doc[editor.containerKey].other).toBeDefined();
      expect(doc[editor.containerKey][SERVER_KEY]).toEqual(editor.entry(server));
      if (editor.format === 'toml') {
        expect(doc.model).toBe('o3');
        expect(readFileSync(path, 'utf8')).toContain('# my codex settings');
      } else {
        expect(doc.theme).toBe('dark');
      }
    });

    it(`${id}: installing twice leaves the file unchanged the second time`, () => {
      run([id]);
      const path = editor.path('user', { home, platform: 'linux', env: env(), projectRoot: project })!;
      const first = readFileSync(path, 'utf8');
      const [again] = run([id]);
      expect(again.status).toBe('unchanged');
      expect(readFileSync(path, 'utf8')).toBe(first);
    });

    it(`${id}: --uninstall removes only our server`, () => {
      const path = editor.path('user', { home, platform: 'linux', env: env(), projectRoot: project })!;
      seed(path, existingConfig(id));
      run([id]);
      const [removed] = run([id], { uninstall: true });
      expect(removed.status).toBe('removed');
      const doc = read(path);
      expect(doc[editor.containerKey][SERVER_KEY]).toBeUndefined();
      expect(doc[editor.containerKey].other).toBeDefined();
      const [again] = run([id], { uninstall: true });
      expect(again.status).toBe('absent');
    });
  }

  it('--dry-run reports the new content without touching the file', () => {
    const path = join(home, '.cursor', 'mcp.json');
    seed(path, existingConfig('cursor'));
    const before = readFileSync(path, 'utf8');
    const [result] = run(['cursor'], { dryRun: true });
    expect(result.status).toBe('created');
    expect(JSON.parse(result.content!).mcpServers[SERVER_KEY]).toEqual(EDITORS.cursor.entry(server));
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('creates a missing config file and its directories', () => {
    const [result] = run(['gemini']);
    expect(result.status).toBe('created');
    expect(read(join(home, '.gemini', 'settings.json')).mcpServers[SERVER_KEY].command).toBe(server.command);
  });

  it('project scope writes .mcp.json for Claude Code and .vscode/mcp.json for VS Code', () => {
    run(['claude-code', 'vscode'], { scope: 'project' });
    expect(read(join(project, '.mcp.json')).mcpServers[SERVER_KEY].type).toBe('stdio');
    expect(read(join(project, '.vscode', 'mcp.json')).servers[SERVER_KEY].type).toBe('stdio');
  });

  it('an editor without a project config reports unsupported instead of guessing a path', () => {
    const [result] = run(['claude-desktop'], { scope: 'project' });
    expect(result.status).toBe('unsupported');
    expect(result.error?.message).toMatch(/--scope user/);
  });

  it('a JSON file with comments is refused and left as it was', () => {
    const path = join(home, '.config', 'Code', 'User', 'mcp.json');
    const jsonc = '{\n  // my servers\n  "servers": {}\n}\n';
    seed(path, jsonc);
    const [result] = run(['vscode']);
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('CONFIG_UNPARSEABLE');
    expect(readFileSync(path, 'utf8')).toBe(jsonc);
  });

  it('keeps the mode of an existing file (~/.claude.json is private)', () => {
    const path = join(home, '.claude.json');
    seed(path, '{"projects": {}}');
    chmodSync(path, 0o600);
    run(['claude-code']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(read(path).projects).toEqual({});
  });

  it('replaces an outdated Codex table, its env sub-table included', () => {
    const path = join(home, '.codex', 'config.toml');
    seed(path, `[mcp_servers.agent-relay]\ncommand = "old"\n\n[mcp_servers.agent-relay.env]\nX = "1"\n\n[profiles.fast]\nmodel = "o4-mini"\n`);
    const [result] = run(['codex'], { server: { ...server, env: { RELAY_AGENT_NAME: 'Lead' } } });
    expect(result.status).toBe('updated');
    const doc = read(path);
    expect(doc.mcp_servers[SERVER_KEY]).toEqual({ ...server, env: { RELAY_AGENT_NAME: 'Lead' } });
    expect(doc.profiles.fast.model).toBe('o4-mini');
  });

  it('OpenCode gets a local server with the command as one array', () => {
    run(['opencode']);
    const entry = read(join(home, '.config', 'opencode', 'opencode.json')).mcp[SERVER_KEY];
    expect(entry).toEqual({ type: 'local', command: [server.command, ...server.args], enabled: true });
  });
});

describe('agent-relay mcp install (the command)', () => {
  it('--editor all with a temp HOME writes every user config, parseable, keeping what was there', async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'agent-relay.js');
    const cmdEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    for (const k of ['XDG_CONFIG_HOME', 'CODEX_HOME', 'APPDATA', 'AGENT_RELAY_HOME', 'NODE_ENV']) delete cmdEnv[k];
    const ctx = { home, platform: process.platform, env: cmdEnv, projectRoot: project };
    for (const id of EDITOR_NAMES) seed(EDITORS[id].path('user', ctx)!, existingConfig(id));
    const run = spawnSync(process.execPath, [bin, 'mcp', 'install', '--editor', 'all', '--json'], { cwd: project, env: cmdEnv, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as Array<{ editor: EditorId; status: string; path: string }>;
    expect(results.map((r) => r.status)).toEqual(EDITOR_NAMES.map(() => 'created'));
    for (const r of results) {
      const doc = read(r.path);
      const container = doc[EDITORS[r.editor].containerKey];
      expect(container.other, r.editor).toBeDefined();
      expect(JSON.stringify(container[SERVER_KEY]), r.editor).toContain('mcp');
    }
    const again = spawnSync(process.execPath, [bin, 'mcp', 'install', '--editor', 'all', '--json'], { cwd: project, env: cmdEnv, encoding: 'utf8' });
    expect((JSON.parse(again.stdout) as Array<{ status: string }>).every((r) => r.status === 'unchanged')).toBe(true);
  }, 60_000);
});

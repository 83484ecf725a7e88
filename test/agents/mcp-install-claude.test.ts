import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { pinnedCli } from './harness/install';

/** `agent-relay mcp install --editor claude-code` writes a config the real Claude Code reads and connects to. */

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'agent-relay.js');
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-mcp-claude-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent-relay mcp install, read by the real Claude Code', { timeout: 90_000 }, () => {
  it('claude mcp list shows agent-relay, connected', async () => {
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    mkdirSync(home);
    mkdirSync(project);
    const env = { ...process.env, HOME: home, AGENT_RELAY_HOME: join(dir, 'relay-home'), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', NO_COLOR: '1' };
    delete (env as Record<string, string | undefined>).RELAY_SOCKET;
    const installed = await run(process.execPath, [BIN, 'mcp', 'install', '--editor', 'claude-code'], { cwd: project, env });
    expect(installed.stdout).toContain(`agent-relay added to ${join(home, '.claude.json')}`);
    expect(JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')).mcpServers['agent-relay'].args.slice(-2)).toEqual(['mcp', 'serve']);
    // Claude Code starts each server for its health check: ours answers the MCP handshake (no daemon needed for that).
    const listed = await run(pinnedCli('claude').bin, ['mcp', 'list'], { cwd: project, env, timeout: 60_000 });
    const line = listed.stdout.split('\n').find((l) => l.startsWith('agent-relay:'));
    expect(line, listed.stdout).toBeDefined();
    expect(line).toContain('mcp serve');
    expect(line).toMatch(/Connected/);
    expect(line).not.toMatch(/Failed/);
  });
});

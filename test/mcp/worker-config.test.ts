import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { dataDirFor } from '../../lib/paths';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { removeWorkerMcpConfig, writeWorkerMcpConfig } from '../../server/mcp/worker-config';
import { eventually, useMcpFixture } from './harness';

const fx = useMcpFixture();

const input = () => {
  const dataDir = dataDirFor(fx.sandbox.projectRoot);
  return { name: 'Worker1', dataDir, socketPath: join(dataDir, 'relay.sock'), outboxDir: join(dataDir, 'outbox', 'Worker1'), env: fx.sandbox.env };
};

describe('writeWorkerMcpConfig', { timeout: 60_000 }, () => {
  it('gives a Claude Code worker --mcp-config with a private file, outside the project', () => {
    const launch = writeWorkerMcpConfig({ ...input(), cli: 'claude' })!;
    expect(launch.args[0]).toBe('--mcp-config');
    const path = launch.args[1];
    expect(path.startsWith(dataDirFor(fx.sandbox.projectRoot))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const server = JSON.parse(readFileSync(path, 'utf8')).mcpServers['agent-relay'];
    expect(server.args.slice(-2)).toEqual(['mcp', 'serve']);
    expect(server.env).toMatchObject({ RELAY_AGENT_NAME: 'Worker1', AGENT_RELAY_OUTBOX: input().outboxDir, RELAY_SOCKET: input().socketPath });
  });

  it('gives a Codex worker -c overrides that parse as TOML', () => {
    const launch = writeWorkerMcpConfig({ ...input(), cli: '/usr/local/bin/codex' })!;
    const overrides = launch.args.filter((_, i) => launch.args[i - 1] === '-c');
    // command, args, env, and a start-up timeout (the codex profile's).
    expect(overrides).toHaveLength(4);
    const doc: Record<string, unknown> = {};
    for (const o of overrides) {
      const eq = o.indexOf('=');
      const key = o.slice(0, eq).split('.').pop()!;
      doc[key] = (parseToml(`v = ${o.slice(eq + 1)}`) as { v: unknown }).v;
    }
    expect((doc.args as string[]).slice(-2)).toEqual(['mcp', 'serve']);
    expect(doc.env).toMatchObject({ RELAY_AGENT_NAME: 'Worker1' });
    expect(doc.startup_timeout_sec).toBe(30);
  });

  it('leaves CLIs without a per-run MCP config alone', () => {
    expect(writeWorkerMcpConfig({ ...input(), cli: 'demo' })).toBeNull();
    expect(writeWorkerMcpConfig({ ...input(), cli: 'opencode' })).toBeNull();
  });

  it("gives a Gemini CLI worker its own GEMINI_CLI_HOME: the user's settings plus our server, links to the rest, the user's files untouched", () => {
    const home = join(fx.sandbox.projectRoot, '..', 'gemini-user');
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), '{"ui": {"theme": "Dracula"}}');
    writeFileSync(join(home, '.gemini', 'oauth_creds.json'), 'secret');
    const launch = writeWorkerMcpConfig({ ...input(), cli: 'gemini', env: { ...fx.sandbox.env, HOME: home } })!;
    expect(launch.args).toEqual([]);
    const geminiHome = launch.env.GEMINI_CLI_HOME;
    expect(geminiHome.startsWith(dataDirFor(fx.sandbox.projectRoot))).toBe(true);
    expect(launch.env.GEMINI_CLI_TRUSTED_FOLDERS_PATH).toBe(join(home, '.gemini', 'trustedFolders.json'));
    const settingsPath = join(geminiHome, '.gemini', 'settings.json');
    expect(statSync(settingsPath).mode & 0o777).toBe(0o600);
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
    expect(settings.ui).toEqual({ theme: 'Dracula' });
    expect(settings.mcpServers['agent-relay'].env).toMatchObject({ RELAY_AGENT_NAME: 'Worker1', AGENT_RELAY_OUTBOX: input().outboxDir });
    // Linked, not copied: the same file; the user's own settings unchanged.
    expect(readlinkSync(join(geminiHome, '.gemini', 'oauth_creds.json'))).toBe(join(home, '.gemini', 'oauth_creds.json'));
    expect(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8')).toBe('{"ui": {"theme": "Dracula"}}');
    // Removing the worker's config removes its home, never what the links point to.
    removeWorkerMcpConfig(input().dataDir, 'Worker1');
    expect(existsSync(geminiHome)).toBe(false);
    expect(readFileSync(join(home, '.gemini', 'oauth_creds.json'), 'utf8')).toBe('secret');
  });

  it('the configured server sends as the worker without taking over its name', async () => {
    const daemon = await fx.startDaemon();
    const alice = fx.own(new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false }));
    const received: RelayMessage[] = [];
    alice.onMessage((m) => void received.push(m));
    await alice.connect();

    const launch = writeWorkerMcpConfig({ ...input(), cli: 'claude' })!;
    const server = JSON.parse(readFileSync(launch.args[1], 'utf8')).mcpServers['agent-relay'];
    // As Claude Code would start it: its own environment plus the entry's env.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...fx.sandbox.env, ...server.env })) if (typeof v === 'string') env[k] = v;
    const transport = new StdioClientTransport({ command: server.command, args: server.args, cwd: fx.sandbox.elsewhere, env, stderr: 'pipe' });
    const client = fx.own(new Client({ name: 'claude-stand-in', version: '0.0.0' }));
    await client.connect(transport);

    const result = await client.callTool({ name: 'relay_send', arguments: { to: 'Alice', message: 'from the worker via MCP' } });
    expect(result.isError).not.toBe(true);
    const got = await eventually(() => received.find((m) => m.body === 'from the worker via MCP'), 'Alice to receive it');
    expect(got.from).toBe('Worker1');
    // The MCP helper connection is internal: Worker1 is not claimed by it.
    const names = (await alice.listAgents()).map((a) => a.name);
    expect(names).not.toContain('Worker1');
  });

  it('the SpawnManager starts a claude worker with --mcp-config', async () => {
    const daemon = await fx.startDaemon();
    // A stand-in `claude` that records its arguments, first on PATH for this worker only.
    const bin = join(fx.sandbox.dir, 'bin');
    const argsFile = join(fx.sandbox.dir, 'claude-args');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec sleep 30\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    const alice = fx.own(new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false }));
    await alice.connect();
    // IS_SANDBOX=1: as root the claude preset is refused without it (what the real CLI would do).
    await alice.spawn({ name: 'Claude1', cli: 'claude', env: { PATH: `${bin}:${process.env.PATH}`, IS_SANDBOX: '1' } });
    const args = await eventually(() => {
      try {
        return readFileSync(argsFile, 'utf8').split('\n');
      } catch {
        return undefined;
      }
    }, 'the stand-in claude to start');
    const i = args.indexOf('--mcp-config');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(readFileSync(args[i + 1], 'utf8')).mcpServers['agent-relay'].env.RELAY_AGENT_NAME).toBe('Claude1');
    expect(args).toContain('--dangerously-skip-permissions');
  });
});

import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDirFor } from '../../lib/paths';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { writeWorkerMcpConfig } from '../../server/mcp/worker-config';
import { eventually, makeSandbox, startTestDaemon, type Sandbox, type TestDaemon } from './harness';

let sandbox: Sandbox;
let daemon: TestDaemon | undefined;
let alice: RelayClient | undefined;
let client: Client | undefined;

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(async () => {
  await client?.close().catch(() => {});
  await alice?.disconnect().catch(() => {});
  await daemon?.close();
  client = alice = daemon = undefined;
  sandbox.cleanup();
});

const input = () => {
  const dataDir = dataDirFor(sandbox.projectRoot);
  return { name: 'Worker1', dataDir, socketPath: join(dataDir, 'relay.sock'), outboxDir: join(dataDir, 'outbox', 'Worker1'), env: sandbox.env };
};

describe('writeWorkerMcpConfig', { timeout: 60_000 }, () => {
  it('gives a Claude Code worker --mcp-config with a private file, outside the project', () => {
    const launch = writeWorkerMcpConfig({ ...input(), cli: 'claude' })!;
    expect(launch.args[0]).toBe('--mcp-config');
    const path = launch.args[1];
    expect(path.startsWith(dataDirFor(sandbox.projectRoot))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const server = JSON.parse(readFileSync(path, 'utf8')).mcpServers['agent-relay'];
    expect(server.args.slice(-2)).toEqual(['mcp', 'serve']);
    expect(server.env).toMatchObject({ RELAY_AGENT_NAME: 'Worker1', AGENT_RELAY_OUTBOX: input().outboxDir, RELAY_SOCKET: input().socketPath });
  });

  it('gives a Codex worker -c overrides that parse as TOML', () => {
    const launch = writeWorkerMcpConfig({ ...input(), cli: '/usr/local/bin/codex' })!;
    const overrides = launch.args.filter((_, i) => launch.args[i - 1] === '-c');
    expect(overrides).toHaveLength(3);
    const doc: Record<string, unknown> = {};
    for (const o of overrides) {
      const eq = o.indexOf('=');
      const key = o.slice(0, eq).split('.').pop()!;
      doc[key] = (parseToml(`v = ${o.slice(eq + 1)}`) as { v: unknown }).v;
    }
    expect((doc.args as string[]).slice(-2)).toEqual(['mcp', 'serve']);
    expect(doc.env).toMatchObject({ RELAY_AGENT_NAME: 'Worker1' });
  });

  it('leaves CLIs without a per-run MCP config alone', () => {
    expect(writeWorkerMcpConfig({ ...input(), cli: 'demo' })).toBeNull();
    expect(writeWorkerMcpConfig({ ...input(), cli: 'gemini' })).toBeNull();
  });

  it('the configured server sends as the worker without taking over its name', async () => {
    daemon = await startTestDaemon(sandbox);
    alice = new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false });
    const received: RelayMessage[] = [];
    alice.onMessage((m) => void received.push(m));
    await alice.connect();

    const launch = writeWorkerMcpConfig({ ...input(), cli: 'claude' })!;
    const server = JSON.parse(readFileSync(launch.args[1], 'utf8')).mcpServers['agent-relay'];
    // As Claude Code would start it: its own environment plus the entry's env.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...sandbox.env, ...server.env })) if (typeof v === 'string') env[k] = v;
    const transport = new StdioClientTransport({ command: server.command, args: server.args, cwd: sandbox.elsewhere, env, stderr: 'pipe' });
    client = new Client({ name: 'claude-stand-in', version: '0.0.0' });
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
    daemon = await startTestDaemon(sandbox);
    // A stand-in `claude` that records its arguments, first on PATH for this worker only.
    const bin = join(sandbox.dir, 'bin');
    const argsFile = join(sandbox.dir, 'claude-args');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec sleep 30\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    alice = new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false });
    await alice.connect();
    await alice.spawn({ name: 'Claude1', cli: 'claude', env: { PATH: `${bin}:${process.env.PATH}` } });
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

import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect, it } from 'vitest';
import { RelayClient, type RelayMessage } from '../../lib/sdk';
import { eventually, REPO_ROOT, useMcpFixture } from './harness';

/**
 * The published v1 MCP server (@agent-relay/mcp 2.0.29) sends by writing
 * `<projectRoot>/.agent-relay/outbox/<RELAY_AGENT_NAME>/msg` (TO:/THREAD: headers, blank line, body;
 * see its dist/hybrid-client.js). Our daemon's outbox watcher must deliver those as that agent.
 */

const PUBLISHED_BIN = join(REPO_ROOT, 'node_modules', '@agent-relay', 'mcp', 'dist', 'bin.js');

const fx = useMcpFixture();

it("the published @agent-relay/mcp@2.0.29 server's outbox sends reach their recipient", async () => {
  const daemon = await fx.startDaemon();
  const alice = fx.own(new RelayClient({ name: 'Alice', socketPath: daemon.socketPath, reconnect: false }));
  const received: RelayMessage[] = [];
  alice.onMessage((m) => void received.push(m));
  await alice.connect();

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(fx.sandbox.env)) if (v !== undefined) env[k] = v;
  env.RELAY_AGENT_NAME = 'Legacy';
  // It finds its project by walking up from cwd to a directory holding .agent-relay.
  const transport = new StdioClientTransport({ command: process.execPath, args: [PUBLISHED_BIN, 'serve'], cwd: fx.sandbox.projectRoot, env, stderr: 'pipe' });
  const client = fx.own(new Client({ name: 'relay-test', version: '0.0.0' }));
  await client.connect(transport);

  const result = await client.callTool({ name: 'relay_send', arguments: { to: 'Alice', message: 'hello from v1 mcp', thread: 'compat-1' } });
  expect(result.isError).not.toBe(true);

  const got = await eventually(() => received.find((m) => m.body === 'hello from v1 mcp'), 'Alice to receive the outbox message');
  expect(got.from).toBe('Legacy');
  expect(got.thread).toBe('compat-1');
}, 60_000);

import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { createRelayMcpServer } from './serve';
import type { ToolBackend } from './tools';
import { HANDSHAKE_NAME, type McpHandshake } from './fast-start';

/**
 * The answers of `initialize` and `tools/list`, taken from the real server (the SDK, our tools)
 * when the CLI is prebuilt (server/lifecycle/prebuilt.mjs), so that `mcp serve` can give them
 * before it has loaded the SDK (fast-start.ts). Computed, never written by hand: they cannot drift
 * from what the SDK would answer (test/mcp/fast-start.test.ts compares the two).
 */
export async function computeHandshake(): Promise<McpHandshake> {
  const { init, list } = await sdkHandshakeAnswers(HANDSHAKE_NAME, LATEST_PROTOCOL_VERSION);
  const { protocolVersion: _negotiated, ...initialize } = init;
  return { v: 1, supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS], latestVersion: LATEST_PROTOCOL_VERSION, initialize, toolsList: list };
}

/** What the SDK itself answers to `initialize` (asking for `protocolVersion`) and `tools/list`, for `agentName`. */
export async function sdkHandshakeAnswers(agentName: string, protocolVersion: string): Promise<{ init: Record<string, unknown>; list: Record<string, unknown> }> {
  const unused = (): never => {
    throw new Error('not called while listing');
  };
  const backend: ToolBackend = {
    agentName,
    status: unused, listAgents: unused, send: unused, inbox: unused, spawn: unused, release: unused,
    sendInput: unused, setInjectMode: unused, listWorkers: unused, logs: unused, changes: unused,
  };
  const server = createRelayMcpServer(agentName, backend);
  const [ours, theirs] = InMemoryTransport.createLinkedPair();
  await server.connect(ours);
  const answers = new Map<number, JSONRPCMessage>();
  theirs.onmessage = (m) => {
    if ('id' in m && typeof m.id === 'number') answers.set(m.id, m);
  };
  await theirs.start();
  const ask = async (id: number, method: string, params: Record<string, unknown>) => {
    await theirs.send({ jsonrpc: '2.0', id, method, params });
    for (let i = 0; i < 1000 && !answers.has(id); i++) await new Promise((r) => setImmediate(r));
    const answer = answers.get(id) as { result?: Record<string, unknown>; error?: unknown } | undefined;
    if (!answer?.result) throw new Error(`the MCP server did not answer ${method}: ${JSON.stringify(answer?.error ?? 'nothing')}`);
    return answer.result;
  };
  const init = await ask(1, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'handshake', version: '0' } });
  await theirs.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const list = await ask(2, 'tools/list', {});
  await server.close();
  return { init, list };
}

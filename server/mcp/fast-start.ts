import { once } from 'node:events';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { identityFromEnv } from './identity';
import { writeReadyFile } from './ready-signal';

/**
 * `agent-relay mcp serve`, prebuilt: the handshake first, the SDK after. Loading the MCP SDK and
 * zod is most of a start (~200 of ~300 ms here), and an agent CLI that has not got our tools list
 * by its first turn goes without relay tools (docs/agents.md; Codex sent its first request before
 * we had listed). So `initialize` and `tools/list` are answered from the answers the real server
 * gave when the CLI was built (handshake.ts); meanwhile the SDK loads, and once it has, it takes
 * over: the initialize is replayed to it (its answer dropped: it was given), then whatever came
 * since, then the stream. Nothing is answered here that the SDK would answer differently.
 * (docs/mcp.md, "Start".)
 */

/** Stands for the agent's name in the computed answers (the instructions name it). */
export const HANDSHAKE_NAME = 'agent_relay_handshake_name';

export interface McpHandshake {
  v: 1;
  supportedVersions: string[];
  latestVersion: string;
  /** The initialize result without protocolVersion (negotiated per request, as the SDK does). */
  initialize: Record<string, unknown>;
  toolsList: Record<string, unknown>;
}

/** The id the replayed initialize carries, so that the SDK's answer to it can be dropped. */
const REPLAY_ID = 'agent-relay-fast-start-initialize';

type Message = JSONRPCMessage & { id?: string | number; method?: string; params?: Record<string, unknown> };

/** What the SDK gets once loaded: the messages we did not answer, then the rest of stdin; replies to stdout. */
class HandedOverTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if ('id' in message && message.id === REPLAY_ID) return;
    if (!process.stdout.write(`${JSON.stringify(message)}\n`)) await once(process.stdout, 'drain');
  }

  async close(): Promise<void> {
    this.onclose?.();
  }

  deliver(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
}

export async function runMcpFast(handshake: McpHandshake, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // The editor went away mid-answer: nobody wants more output (as the CLI's handleBrokenPipes).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(0);
    });
  }
  const { agentName } = identityFromEnv(env);
  const initialize = JSON.parse(JSON.stringify(handshake.initialize).replaceAll(HANDSHAKE_NAME, agentName)) as Record<string, unknown>;
  const write = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

  /** Messages for the SDK, in order, until it has taken over. */
  const forSdk: Message[] = [];
  let transport: HandedOverTransport | undefined;
  let loading: Promise<void> | undefined;
  let buffered = '';
  let served!: () => void;
  const done = new Promise<void>((resolve) => (served = resolve));

  const load = () => {
    loading ??= (async () => {
      const { runMcpServer } = await import('./serve');
      const handed = new HandedOverTransport();
      const serving = runMcpServer({ env, transport: handed });
      // runMcpServer connects before it waits for the end: once connect has set onmessage, feed it.
      while (!handed.onmessage) await new Promise((r) => setImmediate(r));
      for (const m of forSdk.splice(0)) handed.deliver(m);
      transport = handed;
      await serving;
    })().finally(served);
    return loading;
  };

  const handle = (message: Message) => {
    if (transport) return transport.deliver(message);
    if (message.method === 'initialize' && message.id !== undefined && !forSdk.some((m) => m.method === 'initialize')) {
      const requested = message.params?.protocolVersion;
      const protocolVersion = typeof requested === 'string' && handshake.supportedVersions.includes(requested) ? requested : handshake.latestVersion;
      write({ id: message.id, result: { protocolVersion, ...initialize } });
      // The SDK must see it too (client capabilities, the version), under an id whose answer is dropped.
      forSdk.push({ ...message, id: REPLAY_ID } as Message);
      return;
    }
    if (message.method === 'tools/list' && message.id !== undefined && forSdk.some((m) => m.method === 'initialize')) {
      write({ id: message.id, result: handshake.toolsList });
      if (env.AGENT_RELAY_MCP_READY) {
        writeReadyFile(env.AGENT_RELAY_MCP_READY, (err) => process.stderr.write(`agent-relay mcp: could not write ${env.AGENT_RELAY_MCP_READY}: ${String(err)}\n`));
      }
      // The tools are listed: now the SDK, for the calls that follow.
      void load();
      return;
    }
    forSdk.push(message);
    // A request (or a batch) is the SDK's to answer: load it now. A notification (initialized) waits with the rest.
    if (message.id !== undefined || Array.isArray(message)) void load();
  };

  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        // What the SDK's stdio transport does with a line that is not JSON: it reports it and goes on.
        process.stderr.write(`agent-relay mcp: ignored a line that is not JSON: ${line.slice(0, 200)}\n`);
        continue;
      }
      handle(message);
    }
  };
  process.stdin.on('data', onData);
  // A client that never asks (or asks only later) still gets the SDK soon.
  const timer = setTimeout(() => void load(), 1_000);
  timer.unref();
  const ended = new Promise<void>((resolve) => {
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await Promise.race([ended, done]);
  clearTimeout(timer);
  // Ended before anything was asked: nothing to hand over, nothing to wait for.
  if (loading) await loading;
}

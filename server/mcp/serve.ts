import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { projectRootOfSocket } from '../../lib/paths';
import { fetchChanges, formatChanges } from './changes';
import { identityFromEnv } from './identity';
import { readWorkerLogTail } from './logs';
import { signalToolsListed } from './ready-signal';
import { RelayLink } from './relay-link';
import { registerRelayTools, type ToolBackend } from './tools';

/** `agent-relay mcp serve`: the relay's tools over MCP on stdio. stdout belongs to the protocol: log to stderr only. */

export { identityFromEnv };

export const MCP_SERVER_VERSION = '0.1.0';

export function linkBackend(link: RelayLink): ToolBackend {
  return {
    agentName: link.agentName,
    status: () => link.call((c) => c.status()),
    listAgents: ({ includeIdle }) => link.call((c) => c.listAgents({ includeIdle })),
    send: (to, body, thread) => link.send(to, body, thread),
    async inbox({ limit, all }) {
      if (!all && !link.terminalMode) {
        await link.connected(); // a clear error when the daemon is away, and a reconnect when it is back
        return link
          .drainInbox()
          .slice(-limit)
          .map((m) => ({ id: m.id, from: m.from, body: m.body, thread: m.thread, timestamp: m.ts }));
      }
      return link.call((c) => c.inbox({ agent: link.agentName, limit, unreadOnly: !all }));
    },
    spawn: (request) => link.spawn(request),
    release: (name, options) => link.call((c) => c.release(name, options)),
    sendInput: (name, data) => link.call((c) => c.sendWorkerInput(name, data)),
    setInjectMode: (name, mode) => link.call((c) => c.setInjectMode(name, mode)),
    listWorkers: () => link.call((c) => c.listWorkers()),
    async logs(name, lines) {
      const status = await link.call((c) => c.status());
      const root = status.projectRoot ?? projectRootOfSocket(status.socketPath);
      if (!root) throw Object.assign(new Error(`The daemon at ${status.socketPath} has no project directory, so it keeps no worker logs.`), { code: 'NOT_FOUND' });
      return readWorkerLogTail(root, name, lines);
    },
    async changes(name, { file, maxChars }) {
      const status = await link.call((c) => c.status());
      return formatChanges(await fetchChanges(status, name, file), maxChars);
    },
  };
}

export interface McpServeOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Instead of stdio: the fast start's transport (fast-start.ts), which has answered the handshake already. */
  transport?: Transport;
}

/** The relay's MCP server for `agentName`: its instructions and tools (also what the fast start's handshake is computed from). */
export function createRelayMcpServer(agentName: string, backend: ToolBackend): McpServer {
  const server = new McpServer(
    { name: 'agent-relay', version: MCP_SERVER_VERSION },
    {
      instructions:
        `You are "${agentName}" on agent-relay. relay_send messages other agents, relay_inbox reads yours, ` +
        'relay_who and relay_workers list who is there, relay_spawn/relay_release start and stop workers ' +
        '(worktree: true isolates a worker on its own git branch; relay_changes reviews its work). ' +
        'If a tool says no daemon is running, ask the user to run `agent-relay up`.',
    },
  );
  registerRelayTools(server, backend);
  return server;
}

/** Runs until stdin closes (the editor went away). */
export async function runMcpServer(options: McpServeOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const identity = identityFromEnv(env);
  const link = new RelayLink({ ...identity, env, cwd: options.cwd });
  const server = createRelayMcpServer(identity.agentName, linkBackend(link));
  link.start();

  const transport = options.transport ?? new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    // Handed over by the fast start after the editor had already closed our stdin.
    if (process.stdin.readableEnded || process.stdin.destroyed) resolve();
  });
  await server.connect(transport);
  // After connect: it wraps the handlers connect installed.
  signalToolsListed(transport, env.AGENT_RELAY_MCP_READY, (err) => process.stderr.write(`agent-relay mcp: could not write ${env.AGENT_RELAY_MCP_READY}: ${String(err)}\n`));
  await closed;
  await link.close();
  await server.close().catch(() => {});
}

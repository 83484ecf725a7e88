import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { projectRootOfSocket } from '../../lib/paths';
import { isValidName } from '../../lib/protocol';
import { readWorkerLogTail } from './logs';
import { RelayLink } from './relay-link';
import { registerRelayTools, type ToolBackend } from './tools';

/** `agent-relay mcp serve`: the relay's tools over MCP on stdio. stdout belongs to the protocol: log to stderr only. */

export const MCP_SERVER_VERSION = '0.1.0';

/**
 * RELAY_AGENT_NAME (or AGENT_RELAY_NAME, which workers also get), else `mcp-<pid>`. Terminal mode when
 * the agent's own terminal is its delivery channel: a worker or `agent-relay run` sets AGENT_RELAY_OUTBOX.
 */
export function identityFromEnv(env: NodeJS.ProcessEnv, pid = process.pid): { agentName: string; terminalMode: boolean } {
  const named = env.RELAY_AGENT_NAME || env.AGENT_RELAY_NAME;
  const agentName = named && isValidName(named) ? named : `mcp-${pid}`;
  return { agentName, terminalMode: Boolean(named && env.AGENT_RELAY_OUTBOX) };
}

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
    listWorkers: () => link.call((c) => c.listWorkers()),
    async logs(name, lines) {
      const status = await link.call((c) => c.status());
      const root = status.projectRoot ?? projectRootOfSocket(status.socketPath);
      if (!root) throw Object.assign(new Error(`The daemon at ${status.socketPath} has no project directory, so it keeps no worker logs.`), { code: 'NOT_FOUND' });
      return readWorkerLogTail(root, name, lines);
    },
  };
}

export interface McpServeOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs until stdin closes (the editor went away). */
export async function runMcpServer(options: McpServeOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const identity = identityFromEnv(env);
  const link = new RelayLink({ ...identity, env, cwd: options.cwd });
  const server = new McpServer(
    { name: 'agent-relay', version: MCP_SERVER_VERSION },
    {
      instructions:
        `You are "${identity.agentName}" on agent-relay. relay_send messages other agents, relay_inbox reads yours, ` +
        'relay_who and relay_workers list who is there, relay_spawn/relay_release start and stop workers. ' +
        'If a tool says no daemon is running, ask the user to run `agent-relay up`.',
    },
  );
  registerRelayTools(server, linkBackend(link));
  link.start();

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await link.close();
  await server.close().catch(() => {});
}

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  InjectActionSchema,
  MAX_BODY_BYTES,
  MAX_INPUT_BYTES,
  SpawnRequestSchema,
  WorkerNameSchema,
  WorktreeOptionSchema,
  type AgentSummary,
  type InjectAction,
  type InjectionState,
  type SpawnRequest,
  type StatusResponse,
  type WorkerInfo,
} from '../../lib/protocol';

/**
 * The relay's MCP tools (product.md §9), defined against a small backend so they are thin: validate,
 * call one method, turn the answer into a sentence a model can act on. Every failure is a tool error
 * result (isError) with the reason and what to do, never a crashed server.
 */

export interface InboxEntry {
  id: string;
  from: string;
  body: string;
  thread?: string;
  timestamp: number;
}

export interface ToolBackend {
  readonly agentName: string;
  status(): Promise<StatusResponse>;
  listAgents(options: { includeIdle: boolean }): Promise<AgentSummary[]>;
  send(to: string, body: string, thread?: string): Promise<string>;
  /** `all`: stored history for us, not just what arrived since the last check. */
  inbox(options: { limit: number; all: boolean }): Promise<InboxEntry[]>;
  spawn(request: SpawnRequest): Promise<{ name: string; pid?: number }>;
  release(name: string, options: { force?: boolean; reason?: string }): Promise<{ name: string; exitCode?: number | null; signal?: string | null; endedBy?: string }>;
  sendInput(name: string, data: string): Promise<void>;
  setInjectMode(name: string, mode: InjectAction): Promise<{ injection?: InjectionState; flushed: number }>;
  listWorkers(): Promise<WorkerInfo[]>;
  logs(name: string, lines: number): Promise<{ text: string; path: string }>;
  /** A worker's worktree changes as text (server/mcp/changes.ts). */
  changes(name: string, options: { file?: string; maxChars: number }): Promise<string>;
}

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const failure = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }], isError: true });

/** Wraps a handler so every thrown error becomes a readable tool error carrying its code. */
function tool<A>(fn: (args: A) => Promise<string>): (args: A) => Promise<CallToolResult> {
  return async (args) => {
    try {
      return text(await fn(args));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const message = err instanceof Error ? err.message : String(err);
      return failure(typeof code === 'string' ? `${code}: ${message}` : message);
    }
  };
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The same facts as `agent-relay status`'s cluster line (docs/cluster.md). */
function describeCluster(c: NonNullable<StatusResponse['cluster']>): string {
  const others = c.nodes.filter((n) => n.node !== c.node).map((n) => `${n.node}${n.reachable ? '' : ' (unreachable)'}`);
  return `cluster: node ${c.node} of "${c.cluster}", ${c.connected ? 'connected' : 'NATS not reached (serving locally, reconnecting)'}; other nodes: ${others.join(', ') || 'none'}`;
}

function describeWorker(w: WorkerInfo): string {
  const state = w.status === 'exited' ? `${w.released ? 'released' : 'exited'} (${w.signal ?? `code ${w.exitCode ?? '?'}`})` : w.status;
  const held = w.injection?.held ? `${w.injection.held} message(s) held` : '';
  const waiting = !held && w.injection?.waiting ? `${w.injection.pending} input(s) waiting: ${w.injection.waiting.reason}` : '';
  const attention = w.needsAttention ? `needs attention${w.attentionReason ? `: ${w.attentionReason}` : ''}` : '';
  const node = w.node ? `on node ${w.node}${w.nodeReachable === false ? ' (unreachable)' : ''}` : '';
  const extras = [node, w.pid ? `pid ${w.pid}` : '', w.spawnerName ? `spawned by ${w.spawnerName}` : '', attention, held, waiting]
    .filter(Boolean)
    .join(', ');
  return `- ${w.name} [${w.cli}] ${state}, up ${age((w.exitedAt ?? Date.now()) - w.spawnedAt)}${extras ? `, ${extras}` : ''}${w.task ? `\n  task: ${w.task.slice(0, 200)}` : ''}`;
}

function formatMessage(m: InboxEntry): string {
  return `- [${m.id.slice(0, 8)}] from ${m.from}${m.thread ? ` [thread:${m.thread}]` : ''} at ${new Date(m.timestamp).toISOString()}:\n  ${m.body.replace(/\n/g, '\n  ')}`;
}

const spawnShape = {
  name: WorkerNameSchema.describe('Name of the new worker (also its agent name on the relay).'),
  cli: SpawnRequestSchema.shape.cli.describe('A preset (claude, codex, gemini, cursor, opencode, demo) or any executable on PATH.'),
  task: SpawnRequestSchema.shape.task.describe('First input typed into the worker once it is ready.'),
  args: SpawnRequestSchema.shape.args.describe('Extra arguments for the CLI, one per item.'),
  cwd: SpawnRequestSchema.shape.cwd.describe('Working directory; relative paths resolve against the project root.'),
  team: SpawnRequestSchema.shape.team,
  model: SpawnRequestSchema.shape.model,
  worktree: WorktreeOptionSchema.optional().describe(
    'true (or {base, branch, allowDirty}) runs the worker in its own git worktree on a new branch (default relay/<name>), so it cannot overwrite other agents\' files; review its work with relay_changes.',
  ),
  node: SpawnRequestSchema.shape.node.describe('In a cluster of relays: the node (machine) to run it on; default the relay you talk to.'),
};

export function registerRelayTools(server: McpServer, backend: ToolBackend): void {
  server.registerTool(
    'relay_send',
    {
      title: 'Send a relay message',
      description: 'Send a message to another agent by name, "*" for every agent, or "@users" for the people watching.',
      inputSchema: {
        to: z.string().min(1).max(64).describe('Recipient agent name, "*" (broadcast) or "@users".'),
        message: z.string().min(1).max(MAX_BODY_BYTES).describe('The message body.'),
        thread: z.string().max(128).optional().describe('Optional thread id to keep a conversation together.'),
      },
    },
    tool(async ({ to, message, thread }) => {
      const id = await backend.send(to, message, thread);
      return `Sent to ${to} as ${backend.agentName} (id ${id.slice(0, 8)}).`;
    }),
  );

  server.registerTool(
    'relay_inbox',
    {
      title: 'Read relay messages',
      description: 'Messages sent to you. By default only those that arrived since the last check; all=true for recent history.',
      inputSchema: {
        limit: z.number().int().min(1).max(500).optional().describe('At most this many messages (default 50).'),
        all: z.boolean().optional().describe('Include messages already seen (stored history).'),
      },
    },
    tool(async ({ limit, all }) => {
      const messages = await backend.inbox({ limit: limit ?? 50, all: all ?? false });
      if (messages.length === 0) return all ? `No messages for ${backend.agentName}.` : `No new messages for ${backend.agentName}.`;
      return `${messages.length} message(s) for ${backend.agentName}:\n${messages.map(formatMessage).join('\n')}`;
    }),
  );

  server.registerTool(
    'relay_who',
    {
      title: 'List agents',
      description: 'Agents on the relay: connected ones and, unless include_idle=false, known agents that are offline.',
      inputSchema: {
        include_idle: z.boolean().optional().describe('Also list agents that are not connected (default true).'),
        node: z.string().max(64).optional().describe('In a cluster of relays: only agents of this node.'),
      },
    },
    tool(async ({ include_idle, node }) => {
      const all = await backend.listAgents({ includeIdle: include_idle ?? true });
      const agents = node === undefined ? all : all.filter((a) => a.node === node);
      if (agents.length === 0) return node === undefined ? 'No agents on the relay.' : `No agents on node ${node}.`;
      const lines = agents.map((a) => {
        const facts = [a.cli, a.team ? `team ${a.team}` : '', a.parent ? `spawned by ${a.parent}` : '', a.node ? `node ${a.node}` : ''].filter(Boolean).join(', ');
        return `- ${a.name}${a.name === backend.agentName ? ' (you)' : ''}: ${a.idle ? 'offline' : 'online'}${facts ? ` (${facts})` : ''}`;
      });
      return `${agents.length} agent(s):\n${lines.join('\n')}`;
    }),
  );

  server.registerTool(
    'relay_spawn',
    {
      title: 'Spawn a worker',
      description: 'Start a new agent as a worker in its own terminal. It joins the relay under its name and can be messaged.',
      inputSchema: spawnShape,
    },
    tool(async (args) => {
      const spawned = await backend.spawn(args);
      return `Spawned worker ${spawned.name}${spawned.pid ? ` (pid ${spawned.pid})` : ''}. Message it with relay_send, watch it with relay_logs.`;
    }),
  );

  server.registerTool(
    'relay_release',
    {
      title: 'Release a worker',
      description: 'Stop a worker: its CLI\'s polite exit, then SIGTERM, then SIGKILL after a grace period; force=true kills at once.',
      inputSchema: {
        name: WorkerNameSchema.describe('The worker to stop.'),
        force: z.boolean().optional().describe('Kill at once (SIGKILL) instead of asking politely first.'),
        reason: z.string().max(1024).optional(),
      },
    },
    tool(async ({ name, force, reason }) => {
      const r = await backend.release(name, { force, reason });
      const how = r.endedBy === 'already-exited' ? 'it had already exited' : `ended by ${r.endedBy ?? 'exit'}`;
      return `Released ${r.name}: ${how}${r.exitCode !== undefined && r.exitCode !== null ? `, exit code ${r.exitCode}` : ''}${r.signal ? `, signal ${r.signal}` : ''}.`;
    }),
  );

  server.registerTool(
    'relay_status',
    { title: 'Relay status', description: 'Whether the relay daemon runs, and its figures: agents, workers, storage, dashboard.', inputSchema: {} },
    tool(async () => {
      const s = await backend.status();
      return [
        `agent-relay daemon ${s.version} running for ${age(s.uptime)}`,
        `project: ${s.projectRoot ?? '(none)'}`,
        `socket: ${s.socketPath}`,
        `agents: ${s.agentCount}, workers: ${s.workerCount}`,
        `storage: ${s.storage.driver}${s.storage.persistent ? ' (persistent)' : ' (in memory)'}`,
        s.dashboardUrl ? `dashboard: ${s.dashboardUrl}` : '',
        s.cluster ? describeCluster(s.cluster) : '',
        `you are: ${backend.agentName}`,
      ]
        .filter(Boolean)
        .join('\n');
    }),
  );

  server.registerTool(
    'relay_workers',
    {
      title: 'List workers',
      description: 'Workers started by the relay, with status, pid, spawner and task (and node, in a cluster of relays).',
      inputSchema: { node: z.string().max(64).optional().describe('In a cluster of relays: only workers of this node.') },
    },
    tool(async ({ node }) => {
      const all = await backend.listWorkers();
      const workers = node === undefined ? all : all.filter((w) => w.node === node);
      if (workers.length === 0) return node === undefined ? 'No workers. Start one with relay_spawn.' : `No workers on node ${node}.`;
      return `${workers.length} worker(s):\n${workers.map(describeWorker).join('\n')}`;
    }),
  );

  server.registerTool(
    'relay_send_input',
    {
      title: 'Type into a worker',
      description: 'Type text into a worker\'s terminal as if at its keyboard. Set enter=true to press Enter after it.',
      inputSchema: {
        name: WorkerNameSchema.describe('The worker to type into.'),
        data: z.string().min(1).max(MAX_INPUT_BYTES).describe('Text to type. Control keys: "\\u0003" is Ctrl-C, "\\r" is Enter.'),
        enter: z.boolean().optional().describe('Press Enter after the text.'),
      },
    },
    tool(async ({ name, data, enter }) => {
      await backend.sendInput(name, enter ? `${data}\r` : data);
      return `Typed ${Buffer.byteLength(data)} byte(s) into ${name}${enter ? ' and pressed Enter' : ''}.`;
    }),
  );

  server.registerTool(
    'relay_changes',
    {
      title: "Review a worker's changes",
      description: 'What a worker spawned with worktree changed against its base: files with +/- counts, its commits, and the unified diff (committed and uncommitted work).',
      inputSchema: {
        name: WorkerNameSchema.describe('The worker (spawned with worktree).'),
        file: z.string().min(1).max(4096).optional().describe('Only this file (path from the repository root).'),
        max_chars: z.number().int().min(1000).max(1_000_000).optional().describe('Cut the diff after this many characters (default 60000).'),
      },
    },
    tool(async ({ name, file, max_chars }) => backend.changes(name, { file, maxChars: max_chars ?? 60_000 })),
  );

  server.registerTool(
    'relay_inject',
    {
      title: 'Hold or release messages to a worker',
      description:
        'Control how relay messages are typed into a worker: "hold" keeps them queued in order while someone steers it, "flush" types the held ones now (one at a time, each when the worker is at its prompt) and keeps holding, "auto" delivers as soon as it is ready (the default).',
      inputSchema: {
        name: WorkerNameSchema.describe('The worker.'),
        mode: InjectActionSchema.describe('hold, flush or auto.'),
      },
    },
    tool(async ({ name, mode }) => {
      const { injection, flushed } = await backend.setInjectMode(name, mode);
      const pending = injection ? `${injection.pending} waiting` : '';
      if (mode === 'flush') return `Released ${flushed} held message(s) to ${name}${injection?.mode === 'hold' ? '; new ones are still held (relay_inject auto resumes)' : ''}.`;
      if (mode === 'hold') return `Holding messages to ${name}${pending ? ` (${pending})` : ''}. relay_inject flush or auto delivers them.`;
      return `Messages to ${name} are delivered automatically${pending ? ` (${pending})` : ''}.`;
    }),
  );

  server.registerTool(
    'relay_logs',
    {
      title: 'Read a worker\'s output',
      description: 'The last lines a worker printed, as plain text (colours and redraws removed).',
      inputSchema: {
        name: WorkerNameSchema.describe('The worker.'),
        lines: z.number().int().min(1).max(2000).optional().describe('How many lines from the end (default 50).'),
      },
    },
    tool(async ({ name, lines }) => {
      const { text: out } = await backend.logs(name, lines ?? 50);
      return out.trim() ? `Last output of ${name}:\n${out}` : `${name} has printed nothing yet.`;
    }),
  );
}

import type { z } from 'zod';
import type { StoredMessageView, WorkerInfo } from '../../lib/protocol';
import type { RelayRuntime } from '../runtime';
import type { AgentViewSchema, MessagesListQuerySchema } from './schemas';

/** Read-side joins for GET /api/agents and GET /api/messages, kept out of the route files. */

type AgentView = z.infer<typeof AgentViewSchema>;

/** Known and connected agents with their worker's status; workers the router does not list yet appear too. */
export function agentsView(runtime: Pick<RelayRuntime, 'router' | 'spawnManager'>): AgentView[] {
  const { router, spawnManager } = runtime;
  const online = new Set(router.connectedAgentNames());
  const workers = new Map<string, WorkerInfo>(spawnManager.listWorkers().map((w) => [w.name, w]));
  const workerView = (w: WorkerInfo | undefined) =>
    w && { status: w.status, cli: w.cli, exitCode: w.exitCode, needsAttention: w.needsAttention, spawnedAt: w.spawnedAt };
  const agents: AgentView[] = router.listAgents({ includeIdle: true }).map((a) => ({
    ...a,
    online: online.has(a.name),
    worker: workerView(workers.get(a.name)),
  }));
  const listed = new Set(agents.map((a) => a.name));
  for (const w of workers.values()) {
    if (listed.has(w.name)) continue;
    agents.push({
      name: w.name, cli: w.cli, idle: w.status !== 'running', team: w.team, pid: w.pid, parent: w.spawnerName, online: online.has(w.name), worker: workerView(w),
      // In a cluster: where it runs (docs/cluster.md), as on every other entry.
      ...(w.node !== undefined ? { node: w.node } : {}),
    });
  }
  return agents;
}

/**
 * History newest first. The router's query knows from/to/sinceTs but not "either side" or "before",
 * so this asks for the newest MESSAGE_SCAN rows per side and filters: paging with `before` reaches
 * back MESSAGE_SCAN messages per agent, which is what a dashboard timeline needs.
 */
const MESSAGE_SCAN = 10_000;
export function messagesView(runtime: Pick<RelayRuntime, 'router'>, query: z.infer<typeof MessagesListQuerySchema>): StoredMessageView[] {
  const { router } = runtime;
  const limit = query.limit ?? 100;
  const scan = query.before === undefined ? limit : MESSAGE_SCAN;
  const batches = query.agent
    ? [router.queryMessages({ from: query.agent, limit: scan, order: 'desc' }), router.queryMessages({ to: query.agent, limit: scan, order: 'desc' })]
    : [router.queryMessages({ limit: scan, order: 'desc' })];
  const byId = new Map<string, StoredMessageView>();
  for (const m of batches.flat()) if (query.before === undefined || m.timestamp < query.before) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => b.timestamp - a.timestamp).slice(0, limit);
}

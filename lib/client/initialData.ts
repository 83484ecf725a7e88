import type { AgentSummary, StatusResponse, StoredMessageView, WorkerInfo } from '../protocol';
import type { SnapshotEvent } from '../realtime/events';

/**
 * Query keys and the shapes cached under them. No 'use client' here: the server page (app/page.tsx)
 * imports these to seed the cache it sends with the HTML, and a 'use client' module would hand a
 * server component references instead of values.
 */
export const queryKeys = {
  status: ['status'] as const,
  workers: ['workers'] as const,
  agents: ['agents'] as const,
  messages: ['messages'] as const,
};

/** How many messages the timeline loads. */
export const TIMELINE_LIMIT = 200;

/** STATUS plus the moment it was read, from which the header's uptime keeps counting. */
export type StatusView = StatusResponse & { fetchedAt: number };

/** Agent rows as the API returns them; worker fields are joined in when the agent is a worker. */
export type AgentRow = AgentSummary & {
  online?: boolean;
  worker?: Pick<WorkerInfo, 'status' | 'cli' | 'exitCode' | 'needsAttention' | 'spawnedAt'>;
};

/** Most recently focused first, then running workers, then exited ones: the order terminals are tiled in. */
export function gridOrder(workers: WorkerInfo[], recent: readonly string[]): WorkerInfo[] {
  const byName = new Map(workers.map((w) => [w.name, w]));
  const out: WorkerInfo[] = [];
  for (const n of recent) {
    const w = byName.get(n);
    if (w) out.push(w);
  }
  const rest = workers.filter((w) => !recent.includes(w.name));
  out.push(...rest.filter((w) => w.status !== 'exited'), ...rest.filter((w) => w.status === 'exited'));
  return out;
}

/** What the server renders into the page besides the query cache (app/initial-data.ts). */
export interface InitialScreens {
  /** Server time of the render. */
  renderedAt: number;
  /** The screen of the terminal shown first, so it is drawn before the socket has connected. */
  screens: SnapshotEvent[];
}

/** Oldest first, as the timeline draws them. */
export function sortMessages(messages: StoredMessageView[]): StoredMessageView[] {
  return [...messages].sort((a, b) => a.timestamp - b.timestamp);
}

import { dehydrate, QueryClient, type DehydratedState } from '@tanstack/react-query';
import { agentsView, messagesView } from '../server/api/views';
import { gridOrder, queryKeys, sortMessages, TIMELINE_LIMIT, type InitialScreens, type StatusView } from '../client/initialData';
import type { SnapshotEvent } from '../lib/realtime/events';
import { getRuntime, type RelayRuntime } from '../server/runtime';

export interface InitialState extends InitialScreens {
  /** The query cache as the API would have filled it, for <HydrationBoundary>. */
  dehydrated: DehydratedState;
}

/** A busy screen thread must not hold the page back: without a screen in time, the terminal attaches as before. */
const SCREEN_WAIT_MS = 150;

function runtimeOrNull(): RelayRuntime | null {
  try {
    return getRuntime();
  } catch {
    return null; // plain `next start`/`next dev` without `agent-relay up`: the page fetches on its own
  }
}

async function screenOf(runtime: RelayRuntime, name: string): Promise<SnapshotEvent | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SCREEN_WAIT_MS)));
  try {
    const snapshot = await Promise.race([runtime.spawnManager.snapshot(name).catch(() => null), late]);
    return snapshot && { name, ...snapshot };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Workers, status, agents, messages and the first terminal's screen, read from the live runtime while
 * the page renders: the HTML already shows them and the terminal is drawn without waiting for API
 * round trips or the socket. The same reads as the API routes (app/api), through the same accessor.
 * Null when there is no runtime or a read fails: the client then fetches as before.
 */
export async function readInitialState(recent: string[] = []): Promise<InitialState | null> {
  const runtime = runtimeOrNull();
  if (!runtime) return null;
  const renderedAt = Date.now();
  try {
    const client = new QueryClient();
    const workers = runtime.spawnManager.listWorkers();
    const status: StatusView = { ...runtime.status(), fetchedAt: renderedAt };
    client.setQueryData(queryKeys.status, status, { updatedAt: renderedAt });
    // Without `tracking` (pid start time, boot id, cgroup: the server's own bookkeeping, never read by
    // the page): a third of each record, and the page carries every worker, ended ones included.
    client.setQueryData(queryKeys.workers, workers.map(({ tracking: _tracking, ...w }) => w), { updatedAt: renderedAt });
    client.setQueryData(queryKeys.agents, agentsView(runtime), { updatedAt: renderedAt });
    client.setQueryData(queryKeys.messages, sortMessages(messagesView(runtime, { limit: TIMELINE_LIMIT })), { updatedAt: renderedAt });
    // The page opens with one terminal: the one the client will put first.
    const first = gridOrder(workers, recent)[0];
    const screen = first && (await screenOf(runtime, first.name));
    return { dehydrated: dehydrate(client), renderedAt, recent, screens: screen ? [screen] : [] };
  } catch {
    // The client fetches the same data from the API, whose errors the page shows where they belong.
    return null;
  }
}

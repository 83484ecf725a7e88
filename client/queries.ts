'use client';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { StatusResponse, StoredMessageView, WorkerInfo } from '../lib/protocol';
import { apiFetch } from './api';
import { queryKeys, sortMessages, TIMELINE_LIMIT, type AgentRow, type StatusView } from './initialData';
import { DisposableStore, toDisposable } from '../lib/events';
import { onServerEvents, type RelaySocket } from './socket';
import { onWorkerChanges, onWorktreeList } from './worktrees';

export { queryKeys, type AgentRow, type StatusView };

/**
 * Server state through TanStack Query. Nothing polls: `bindLiveUpdates` keeps these caches fresh from
 * socket.io events (workers, worker:status, worker:exit, message, presence, worker:changes, worktrees).
 */

function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const inner = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(inner) ? (inner as T[]) : [];
}

export function useStatus() {
  return useQuery({
    queryKey: queryKeys.status,
    queryFn: async (): Promise<StatusView> => {
      const body = await apiFetch<StatusResponse | { status: StatusResponse }>('/api/status');
      const status = 'status' in body && typeof body.status === 'object' ? body.status : (body as StatusResponse);
      // Uptime keeps counting in the header from this moment.
      return { ...status, fetchedAt: Date.now() };
    },
    // Asked again now and then for what can change on its own: storage that cannot write, free space.
    refetchInterval: 10_000,
  });
}

export function useWorkers() {
  return useQuery({
    queryKey: queryKeys.workers,
    queryFn: async () => listOf<WorkerInfo>(await apiFetch('/api/workers'), 'workers'),
  });
}

export function useAgents() {
  return useQuery({
    queryKey: queryKeys.agents,
    queryFn: async () => listOf<AgentRow>(await apiFetch('/api/agents'), 'agents'),
  });
}

export function useMessages() {
  return useQuery({
    queryKey: queryKeys.messages,
    queryFn: async () => {
      return sortMessages(listOf<StoredMessageView>(await apiFetch(`/api/messages?limit=${TIMELINE_LIMIT}`), 'messages'));
    },
  });
}

function upsertWorker(client: QueryClient, info: WorkerInfo) {
  client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) => {
    if (!old) return [info];
    const i = old.findIndex((w) => w.name === info.name);
    if (i === -1) return [...old, info];
    const next = old.slice();
    next[i] = info;
    return next;
  });
}

const MAX_TIMELINE = 500;
const CATCH_UP_DELAY_MS = 1000;

/** Wire socket.io events into the query cache. Returns an unsubscribe function. */
export function bindLiveUpdates(socket: RelaySocket, client: QueryClient): () => void {
  const subscriptions = new DisposableStore();
  subscriptions.add(onServerEvents(socket, {
    workers: (workers) => {
      client.setQueryData(queryKeys.workers, workers);
      void client.invalidateQueries({ queryKey: queryKeys.status });
    },
    'worker:status': (info) => upsertWorker(client, info),
    'worker:exit': (info) => {
      upsertWorker(client, info);
      void client.invalidateQueries({ queryKey: queryKeys.agents });
    },
    message: (message) => {
      client.setQueryData<StoredMessageView[]>(queryKeys.messages, (old) => {
        const list = old ?? [];
        if (list.some((m) => m.id === message.id)) return list;
        const next = [...list, message];
        return next.length > MAX_TIMELINE ? next.slice(next.length - MAX_TIMELINE) : next;
      });
    },
    presence: () => {
      void client.invalidateQueries({ queryKey: queryKeys.agents });
      void client.invalidateQueries({ queryKey: queryKeys.status });
    },
    'worker:changes': (event) => onWorkerChanges(client, event),
    worktrees: (list) => onWorktreeList(client, list),
  }));
  // After a reconnect the events missed meanwhile are gone: refetch everything once.
  const onReconnect = () => void client.invalidateQueries();
  socket.io.on('reconnect', onReconnect);
  subscriptions.add(toDisposable(() => socket.io.off('reconnect', onReconnect)));
  // Data rendered into the page (app/initial-data.ts) predates this connection: anything that changed
  // in between had no socket to arrive on, so what was read before connecting is read once more. Not at
  // once: the first terminal attach is on the same server at that moment.
  let catchUp: ReturnType<typeof setTimeout> | undefined;
  const onFirstConnect = () => {
    // Everything cached at the first connect was read without a socket. Chosen now, not when the timer
    // fires: a live event for one worker meanwhile updates the list's timestamp, not its other entries.
    // (No clock comparison: the server rendered with its own clock.)
    const stale = client
      .getQueryCache()
      .findAll()
      .filter((q) => q.state.dataUpdatedAt > 0);
    catchUp = setTimeout(() => {
      for (const q of stale) void client.invalidateQueries({ queryKey: q.queryKey, exact: true });
    }, CATCH_UP_DELAY_MS);
  };
  if (socket.connected) onFirstConnect();
  else socket.once('connect', onFirstConnect);
  subscriptions.add(toDisposable(() => {
    socket.off('connect', onFirstConnect);
    clearTimeout(catchUp);
  }));
  return () => subscriptions.dispose();
}

'use client';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { StatusResponse, StoredMessageView, WorkerInfo } from '../protocol';
import { apiFetch } from './api';
import { queryKeys, sortMessages, TIMELINE_LIMIT, type AgentRow, type StatusView } from './initialData';
import type { RelaySocket } from './socket';

export { queryKeys, type AgentRow, type StatusView };

/**
 * Server state through TanStack Query. Nothing polls: `bindLiveUpdates` keeps these caches fresh from
 * socket.io events (workers, worker:status, worker:exit, message, presence).
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
      // Uptime keeps counting in the header from this moment; no need to ask again.
      return { ...status, fetchedAt: Date.now() };
    },
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
  const onWorkers = (workers: WorkerInfo[]) => {
    client.setQueryData(queryKeys.workers, workers);
    void client.invalidateQueries({ queryKey: queryKeys.status });
  };
  const onStatus = (info: WorkerInfo) => upsertWorker(client, info);
  const onExit = (info: WorkerInfo) => {
    upsertWorker(client, info);
    void client.invalidateQueries({ queryKey: queryKeys.agents });
  };
  const onMessage = (message: StoredMessageView) => {
    client.setQueryData<StoredMessageView[]>(queryKeys.messages, (old) => {
      const list = old ?? [];
      if (list.some((m) => m.id === message.id)) return list;
      const next = [...list, message];
      return next.length > MAX_TIMELINE ? next.slice(next.length - MAX_TIMELINE) : next;
    });
  };
  const onPresence = () => {
    void client.invalidateQueries({ queryKey: queryKeys.agents });
    void client.invalidateQueries({ queryKey: queryKeys.status });
  };
  // After a reconnect the events missed meanwhile are gone: refetch everything once.
  const onConnect = () => void client.invalidateQueries();
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

  socket.on('workers', onWorkers);
  socket.on('worker:status', onStatus);
  socket.on('worker:exit', onExit);
  socket.on('message', onMessage);
  socket.on('presence', onPresence);
  socket.io.on('reconnect', onConnect);
  return () => {
    socket.off('workers', onWorkers);
    socket.off('worker:status', onStatus);
    socket.off('worker:exit', onExit);
    socket.off('message', onMessage);
    socket.off('presence', onPresence);
    socket.io.off('reconnect', onConnect);
    socket.off('connect', onFirstConnect);
    clearTimeout(catchUp);
  };
}

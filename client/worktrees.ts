'use client';
import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { WorkerInfo } from '../lib/protocol/workers';
import type { Changes, CommitResult, MergeResult, MergeStrategy, WorkerChangesEvent, WorktreeListEntry } from '../lib/protocol/worktrees';
import { apiFetch } from './api';
import { queryKeys } from './initialData';

/**
 * The Changes tab's data: GET /changes through TanStack Query, refetched when the server pushes
 * `worker:changes` (a debounced file watcher there; nothing polls here), and the actions.
 */

export const changesKey = (name: string) => ['changes', name] as const;
export const worktreesKey = ['worktrees'] as const;
const path = (name: string, tail: string) => `/api/workers/${encodeURIComponent(name)}${tail}`;

export function useChanges(name: string, enabled: boolean) {
  return useQuery({
    queryKey: changesKey(name),
    queryFn: () => apiFetch<Changes>(path(name, '/changes')),
    enabled,
    // The socket event says when it is stale; a focus or remount alone does not.
    staleTime: Infinity,
  });
}

/**
 * Every worktree the relay made (GET /api/worktrees), replaced by the `worktrees` event when one is
 * made or discarded. Those whose name is not in the worker list are orphans: `orphansOf`.
 */
export function useWorktrees() {
  return useQuery({
    queryKey: worktreesKey,
    queryFn: async () => (await apiFetch<{ worktrees: WorktreeListEntry[] }>('/api/worktrees')).worktrees,
    staleTime: Infinity,
  });
}

/**
 * Worktrees whose worker is gone (removed with keep, lost in a crash, an earlier run's). Judged from
 * the live worker list, so one becomes an orphan the moment its worker is removed.
 */
export function orphansOf(worktrees: readonly WorktreeListEntry[], workers: readonly WorkerInfo[]): WorktreeListEntry[] {
  const listed = new Set(workers.map((w) => w.name));
  return worktrees.filter((w) => !listed.has(w.name));
}

/** `worker:changes`: the listed summary updates at once, an open Changes tab refetches its diff. */
export function onWorkerChanges(client: QueryClient, event: WorkerChangesEvent): void {
  client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) =>
    old?.map((w) => (w.name === event.name && w.worktree ? { ...w, worktree: { ...w.worktree, state: event.state } } : w)),
  );
  client.setQueryData<WorktreeListEntry[]>(worktreesKey, (old) =>
    old?.map((w) => (w.name === event.name ? { ...w, worktree: { ...w.worktree, state: event.state } } : w)),
  );
  void client.invalidateQueries({ queryKey: changesKey(event.name) });
}

/**
 * `worktrees`: one was made or discarded; the server sends the whole list. A GET already in flight
 * (the catch-up after connecting, a reconnect's refetch) was answered before this change and would
 * land after it, putting the old list back until the next event (an orphan row that never came, in
 * a full e2e run): that fetch is replaced by one made now.
 */
export function onWorktreeList(client: QueryClient, worktrees: WorktreeListEntry[]): void {
  const fetching = client.getQueryState(worktreesKey)?.fetchStatus === 'fetching';
  client.setQueryData(worktreesKey, worktrees);
  if (fetching) void client.invalidateQueries({ queryKey: worktreesKey, exact: true, refetchType: 'all' }, { cancelRefetch: true });
}

export function commitWork(name: string, message?: string): Promise<CommitResult> {
  return apiFetch<CommitResult>(path(name, '/commit'), { method: 'POST', json: message ? { message } : {} });
}

export function mergeWork(name: string, strategy: MergeStrategy, commit: boolean): Promise<MergeResult> {
  return apiFetch<MergeResult>(path(name, '/merge'), { method: 'POST', json: { strategy, commit } });
}

export function patchUrl(name: string): string {
  return path(name, '/patch');
}

/** Release (if running), then delete worktree and branch with the worker: the user confirmed what is lost. */
export function discardWork(name: string): Promise<unknown> {
  return apiFetch(path(name, '?remove=1&discard=1&reason=discarded'), { method: 'DELETE' });
}

/** Delete the worktree and branch of a worker that is gone (an orphan): the user confirmed what is lost. */
export function discardWorktree(name: string): Promise<unknown> {
  return apiFetch(`/api/worktrees/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

/** The dialog's worktree choice, remembered per project (the browser's localStorage). */
export function rememberedWorktree(projectRoot: string | undefined): boolean {
  if (!projectRoot || typeof localStorage === 'undefined') return false;
  try {
    return localStorage.getItem(`agent-relay:worktree:${projectRoot}`) === '1';
  } catch {
    return false;
  }
}

export function rememberWorktree(projectRoot: string | undefined, on: boolean): void {
  if (!projectRoot || typeof localStorage === 'undefined') return;
  try {
    localStorage.setItem(`agent-relay:worktree:${projectRoot}`, on ? '1' : '0');
  } catch {
    // Private mode or storage full: the choice is not remembered, the spawn still works.
  }
}

'use client';
import type { QueryClient } from '@tanstack/react-query';
import type { WorkerInfo } from '../lib/protocol/workers';
import { ApiError, apiFetch } from './api';
import { queryKeys } from './initialData';

/**
 * Forget exited workers (`DELETE /api/workers/:name?remove=1`): their record, log and terminal go. The
 * server's `workers` event removes them from every open page; this page drops them at once rather
 * than waiting for it. Returns the names that could not be removed, with the server's reason.
 */
export interface RemoveFailure {
  name: string;
  message: string;
  /** UNMERGED_WORK: the worker's worktree holds work its base does not have (docs/worktrees.md). */
  code?: string;
  files?: string[];
}

/** `choice` for a worker in a worktree: discard its unmerged work, or keep worktree and branch. */
export async function removeWorkers(client: QueryClient, names: string[], choice?: 'discard' | 'keep'): Promise<RemoveFailure[]> {
  const extra = choice ? `&${choice}=1` : '';
  const results = await Promise.allSettled(
    names.map((name) => apiFetch(`/api/workers/${encodeURIComponent(name)}?remove=1${extra}`, { method: 'DELETE' }).then(() => name)),
  );
  const removed = new Set<string>();
  const failed: RemoveFailure[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') removed.add(names[i]);
    else {
      const e = r.reason as Error;
      failed.push({ name: names[i], message: e.message, ...(e instanceof ApiError ? { code: e.code, files: e.files } : {}) });
    }
  });
  if (removed.size) {
    client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) => old?.filter((w) => !removed.has(w.name)));
    void client.invalidateQueries({ queryKey: queryKeys.status });
    void client.invalidateQueries({ queryKey: queryKeys.agents });
  }
  return failed;
}

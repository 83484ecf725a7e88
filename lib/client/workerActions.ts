'use client';
import type { QueryClient } from '@tanstack/react-query';
import type { WorkerInfo } from '../protocol/workers';
import { apiFetch } from './api';
import { queryKeys } from './initialData';

/**
 * Forget exited workers (`DELETE /api/workers/:name?remove=1`): their record, log and terminal go. The
 * server's `workers` event removes them from every open page; this page drops them at once rather
 * than waiting for it. Returns the names that could not be removed, with the server's reason.
 */
export async function removeWorkers(client: QueryClient, names: string[]): Promise<{ name: string; message: string }[]> {
  const results = await Promise.allSettled(
    names.map((name) => apiFetch(`/api/workers/${encodeURIComponent(name)}?remove=1`, { method: 'DELETE' }).then(() => name)),
  );
  const removed = new Set<string>();
  const failed: { name: string; message: string }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') removed.add(names[i]);
    else failed.push({ name: names[i], message: (r.reason as Error).message });
  });
  if (removed.size) {
    client.setQueryData<WorkerInfo[]>(queryKeys.workers, (old) => old?.filter((w) => !removed.has(w.name)));
    void client.invalidateQueries({ queryKey: queryKeys.status });
    void client.invalidateQueries({ queryKey: queryKeys.agents });
  }
  return failed;
}

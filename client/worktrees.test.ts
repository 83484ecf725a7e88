import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { WorktreeListEntry } from '../lib/protocol/worktrees';
import { onWorktreeList, worktreesKey } from './worktrees';

const entry = (name: string) => ({ name, worktree: { branch: `relay/${name}` }, hasWorker: false, live: false }) as unknown as WorktreeListEntry;

describe('the worktrees list and its event', () => {
  it('a list pushed while a GET is in flight is not put back by that GET\'s older answer', async () => {
    const client = new QueryClient();
    // The server's list, as a GET would read it at the moment it runs.
    let server: WorktreeListEntry[] = [entry('kept')];
    let release: (() => void) | undefined;
    const fetchList = () => {
      const answer = server;
      return new Promise<WorktreeListEntry[]>((resolve) => (release = () => resolve(answer)));
    };
    const first = client.fetchQuery({ queryKey: worktreesKey, queryFn: fetchList, staleTime: Infinity });
    // A worktree is made while that GET is out: the event carries the new list.
    server = [entry('kept'), entry('elsewhere')];
    client.getQueryCache().find({ queryKey: worktreesKey })!.setOptions({ queryKey: worktreesKey, queryFn: fetchList });
    onWorktreeList(client, server);
    const stale = release!;
    stale();
    await first.catch(() => undefined);
    // Before: the first GET's answer (without 'elsewhere') stayed. Now a fresh GET replaced it.
    for (let i = 0; i < 50 && client.getQueryState(worktreesKey)?.fetchStatus === 'fetching'; i++) {
      release?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(client.getQueryData<WorktreeListEntry[]>(worktreesKey)?.map((w) => w.name)).toEqual(['kept', 'elsewhere']);
  });
});

import type { Leftover } from './manager';

/**
 * The sentence `up` prints (stderr) when worktrees of earlier workers are still there, e.g. after a
 * crash: what each holds and what to do with it. Nothing is deleted on its own.
 */
export function describeLeftovers(leftovers: Leftover[]): string | undefined {
  if (leftovers.length === 0) return undefined;
  const items = leftovers.map((l) => {
    const s = l.state;
    const what = !s ? 'state unknown' : s.error ? `cannot be read: ${s.error}` : s.unmerged ? `${s.files} file(s) unmerged${s.uncommitted ? ', uncommitted changes' : ''}` : 'merged';
    return `  ${l.name}: ${l.branch} at ${l.path} (${what}${l.hasWorker ? '' : ', no worker record'})`;
  });
  return [
    `agent-relay: ${leftovers.length} worktree(s) from workers that are not running:`,
    ...items,
    '  Review: agent-relay diff NAME · keep the work: agent-relay merge NAME · delete it: agent-relay discard NAME',
  ].join('\n');
}

'use client';
import { useEffect, useMemo, useState } from 'react';
import { createPortal } from 'react-dom';
import { orphansOf, useWorktrees } from '../client/worktrees';
import type { WorkerInfo } from '../lib/protocol/workers';
import type { WorktreeListEntry } from '../lib/protocol/worktrees';
import { ChangesPanel } from './ChangesPanel';

/**
 * Worktrees whose worker is gone (docs/worktrees.md, Lifecycle): removed with "keep", lost in a
 * crash, left by an earlier run. Listed under the workers with their branch and what is unmerged;
 * Diff opens their Changes (the same panel as a pane's tab) to merge, commit, export or discard them.
 * Nothing here is deleted without that panel's confirmation.
 */
export function OrphanWorktrees({ workers }: { workers: WorkerInfo[] }) {
  const worktrees = useWorktrees();
  const orphans = useMemo(() => orphansOf(worktrees.data ?? [], workers), [worktrees.data, workers]);
  const [open, setOpen] = useState<string | null>(null);
  // A discarded one leaves the list (the `worktrees` event), and its dialog closes with it.
  const shown = orphans.find((o) => o.name === open);

  if (worktrees.isError) {
    return (
      <p className="border-t border-ink-700 px-3 py-2 text-[11px] text-dead" role="alert" data-testid="orphan-worktrees-error">
        Worktrees could not be listed: {worktrees.error.message}
      </p>
    );
  }
  if (orphans.length === 0) return null;
  return (
    <section className="max-h-[40%] shrink-0 overflow-y-auto border-t border-ink-700 px-1.5 pt-2 pb-2" data-testid="orphan-worktrees" aria-label="Worktrees without a worker">
      <h3 className="px-1.5 pb-1 text-[11px] font-semibold uppercase tracking-[0.14em] text-ink-400" title="Their worker was removed or lost; the work is still on the branch">
        Worktrees left <span className="ml-1 font-mono text-ink-500">{orphans.length}</span>
      </h3>
      <ul className="space-y-0.5">
        {orphans.map((o) => (
          <OrphanRow key={o.name} entry={o} onDiff={() => setOpen(o.name)} />
        ))}
      </ul>
      {shown && <OrphanDialog entry={shown} onClose={() => setOpen(null)} />}
    </section>
  );
}

function OrphanRow({ entry, onDiff }: { entry: WorktreeListEntry; onDiff: () => void }) {
  const { name, worktree } = entry;
  const s = worktree.state;
  return (
    <li className="rounded-md border border-ink-700/70 px-2.5 py-1.5" data-testid={`orphan-row-${name}`}>
      <div className="flex items-center gap-2">
        <span className="truncate font-mono text-[13px] text-ink-200">{name}</span>
        <button
          type="button"
          onClick={onDiff}
          className="ml-auto shrink-0 rounded border border-ink-700 bg-ink-850 px-2 py-0.5 text-[11px] text-ink-300 hover:border-ink-500 hover:text-ink-100"
          data-testid={`orphan-diff-${name}`}
          title="Its changes, with merge, commit, patch and discard"
        >
          Diff
        </button>
      </div>
      <div className="flex items-center gap-1 truncate font-mono text-[10px] text-ink-500" title={worktree.path}>
        <span className="truncate" data-testid={`orphan-branch-${name}`}>{worktree.branch}</span>
        <span className="shrink-0" data-testid={`orphan-state-${name}`}>
          {s?.error ? (
            <span className="text-dead" title={s.error}>cannot be read</span>
          ) : s?.unmerged ? (
            <span className="rounded bg-attn/15 px-1 text-attn">
              unmerged {s.files} <span className="text-run">+{s.additions}</span> <span className="text-dead">−{s.deletions}</span>
            </span>
          ) : s ? (
            <span className="text-run">merged</span>
          ) : null}
        </span>
      </div>
    </li>
  );
}

function OrphanDialog({ entry, onClose }: { entry: WorktreeListEntry; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  // On the body: no ancestor's overflow or containment clips it.
  return createPortal(
    <div className="fixed inset-0 z-40 flex items-center justify-center bg-black/60 p-4 backdrop-blur-sm" onMouseDown={onClose}>
      <div
        className="@container flex h-[80vh] w-full max-w-5xl flex-col overflow-hidden rounded-xl border border-ink-700 bg-ink-900 shadow-2xl"
        onMouseDown={(e) => e.stopPropagation()}
        role="dialog"
        aria-label={`Worktree of ${entry.name}`}
        data-testid={`orphan-dialog-${entry.name}`}
      >
        <header className="flex shrink-0 items-center gap-2 border-b border-ink-700 px-3 py-2 text-xs">
          <span className="font-mono font-semibold text-ink-100">{entry.name}</span>
          <span className="truncate text-ink-400">its worker is gone; the work is in {entry.worktree.path}</span>
          <button type="button" onClick={onClose} className="ml-auto text-ink-400 hover:text-ink-100" aria-label="Close" data-testid={`orphan-close-${entry.name}`}>
            ✕
          </button>
        </header>
        <div className="relative min-h-0 flex-1">
          <ChangesPanel subject={{ name: entry.name, worktree: entry.worktree, running: false, orphan: true }} />
        </div>
      </div>
    </div>,
    document.body,
  );
}

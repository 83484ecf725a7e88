'use client';
import type { WorkerInfo } from '../lib/protocol/workers';

export type PaneView = 'terminal' | 'changes';

/** Terminal / Changes tabs for a worker in a git worktree, with its branch and what is unmerged. */
export function WorktreeTabs({ worker, view, onView }: { worker: WorkerInfo; view: PaneView; onView: (v: PaneView) => void }) {
  const wt = worker.worktree;
  if (!wt) return null;
  const s = wt.state;
  const tab = (v: PaneView, label: React.ReactNode) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === v}
      onClick={() => onView(v)}
      className={`border-b-2 px-2 py-0.5 ${view === v ? 'border-accent text-ink-100' : 'border-transparent text-ink-400 hover:text-ink-200'}`}
      data-testid={`${v}-tab-${worker.name}`}
    >
      {label}
    </button>
  );
  return (
    <div className="flex shrink-0 items-center gap-1 border-b border-ink-700/80 bg-ink-900/70 px-1.5 text-[11px]" role="tablist" aria-label={`Views of ${worker.name}`}>
      {tab('terminal', 'Terminal')}
      {tab(
        'changes',
        <>
          Changes
          {s && s.files > 0 && (
            <span className="ml-1 font-mono text-[10px]" data-testid={`changes-count-${worker.name}`}>
              {s.files} <span className="text-run">+{s.additions}</span> <span className="text-dead">−{s.deletions}</span>
            </span>
          )}
        </>,
      )}
      <span className="ml-auto hidden truncate font-mono text-[10px] text-ink-500 @md:inline" title={wt.path}>
        {wt.branch}
        {s?.unmerged ? ' · unmerged' : s ? ' · merged' : ''}
      </span>
    </div>
  );
}

'use client';
import { useQueryClient } from '@tanstack/react-query';
import { memo, useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import { formatDuration } from '../client/format';
import { removeWorkers } from '../client/workerActions';
import { useNow } from '../client/useNow';
import { displayName } from '../lib/protocol/names';
import type { WorkerInfo } from '../lib/protocol/workers';
import { healthLabel, healthOf, healthTitle, WorkerStatusDot } from './WorkerStatusDot';
import { NodeBadge } from './NodeBadge';
import { OrphanWorktrees } from './OrphanWorktrees';

type Filter = 'all' | 'active' | 'attention' | 'exited';

const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'active', label: 'Active' },
  { id: 'attention', label: 'Attention' },
  { id: 'exited', label: 'Exited' },
];

function matches(w: WorkerInfo, filter: Filter, query: string): boolean {
  const h = healthOf(w);
  if (filter === 'active' && (h === 'exited' || h === 'failed')) return false;
  if (filter === 'attention' && !(h === 'attention' || h === 'failed')) return false;
  if (filter === 'exited' && !(h === 'exited' || h === 'failed')) return false;
  if (!query) return true;
  const q = query.toLowerCase();
  return [w.name, w.cli, w.team, w.spawnerName && displayName(w.spawnerName), w.task].some((v) => v?.toLowerCase().includes(q));
}

/**
 * Sidebar list of workers (live ones first; the Dashboard orders them): status, CLI, spawner,
 * uptime, held or waiting messages; filter chips and a search box; below them, worktrees whose
 * worker is gone. `workers` are the rows drawn (the Dashboard leaves out older ended ones,
 * `hiddenEnded`, until `allEnded`); `all` is every worker, for the counts and the search.
 */
export function WorkerList({
  workers,
  all,
  hiddenEnded,
  allEnded,
  onToggleEnded,
  focused,
  visible,
  onSelect,
  onSpawn,
}: {
  workers: WorkerInfo[];
  all: WorkerInfo[];
  hiddenEnded: number;
  allEnded: boolean;
  onToggleEnded: () => void;
  focused: string | null;
  visible: string[];
  onSelect: (name: string) => void;
  onSpawn: () => void;
}) {
  const [filter, setFilter] = useState<Filter>('all');
  const [query, setQuery] = useState('');
  const now = useNow();
  // A search looks through every worker, the older ended ones too.
  const shown = useMemo(() => (query ? all : workers).filter((w) => matches(w, filter, query)), [all, workers, filter, query]);
  // The number key of each row (1-9), by its place among the rows drawn.
  const numbers = useMemo(() => new Map(workers.slice(0, 9).map((w, i) => [w.name, i + 1])), [workers]);
  // Rows are memoised: the clock's tick redraws the live ones only (an ended one's uptime is fixed).
  const selectRef = useRef(onSelect);
  selectRef.current = onSelect;
  const select = useCallback((name: string) => selectRef.current(name), []);
  const attention = all.filter((w) => {
    const h = healthOf(w);
    return h === 'attention' || h === 'failed';
  }).length;
  const exited = all.filter((w) => w.status === 'exited');
  const firstEnded = hiddenEnded > 0 || allEnded ? shown.find((w) => w.status === 'exited') : undefined;
  const client = useQueryClient();
  const [clearing, setClearing] = useState(false);
  const [clearError, setClearError] = useState<string | null>(null);

  async function clearExited() {
    setClearing(true);
    setClearError(null);
    const failed = await removeWorkers(client, exited.map((w) => w.name));
    setClearing(false);
    if (failed.length) setClearError(failed.map((f) => `${f.name}: ${f.message}`).join(' '));
  }

  return (
    <div className="flex h-full min-h-0 flex-col" data-testid="worker-list">
      <div className="flex items-center justify-between px-3 pt-3 pb-2">
        <h2 className="text-[11px] font-semibold uppercase tracking-[0.14em] text-ink-400">
          Workers <span className="ml-1 font-mono text-ink-500">{all.length}</span>
        </h2>
        <button
          type="button"
          onClick={onSpawn}
          className="rounded-md border border-accent/40 bg-accent/10 px-2 py-1 text-xs font-medium text-accent transition hover:bg-accent/20"
          data-testid="open-spawn"
          title="Spawn a worker (n)"
        >
          + Spawn
        </button>
      </div>
      <div className="px-3 pb-2">
        <input
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Filter by name, CLI, team…"
          aria-label="Filter workers"
          className="w-full rounded-md border border-ink-700 bg-ink-850 px-2.5 py-1.5 text-xs text-ink-100 placeholder:text-ink-500 focus:border-accent/60 focus:outline-none"
          data-testid="worker-filter"
        />
        <div className="mt-2 flex gap-1">
          {FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              onClick={() => setFilter(f.id)}
              aria-pressed={filter === f.id}
              data-testid={`filter-${f.id}`}
              className={`rounded px-1.5 py-0.5 text-[11px] transition ${filter === f.id ? 'bg-ink-700 text-ink-100' : 'text-ink-400 hover:text-ink-200'}`}
            >
              {f.label}
              {f.id === 'attention' && attention > 0 && (
                <span className="ml-1 rounded-full bg-attn/20 px-1 font-mono text-[10px] text-attn">{attention}</span>
              )}
              {f.id === 'exited' && exited.length > 0 && <span className="ml-1 font-mono text-[10px] text-ink-500">{exited.length}</span>}
            </button>
          ))}
        </div>
        {filter === 'exited' && exited.length > 0 && (
          <button
            type="button"
            onClick={() => void clearExited()}
            disabled={clearing}
            className="mt-2 w-full rounded-md border border-ink-700 px-2 py-1 text-[11px] text-ink-300 transition hover:border-dead/60 hover:text-dead disabled:opacity-50"
            data-testid="clear-exited"
            title="Forget every exited worker: records, logs and terminals"
          >
            {clearing ? 'Clearing…' : `Clear ${exited.length} exited`}
          </button>
        )}
        {clearError && (
          <p className="mt-1.5 text-[11px] text-dead" role="alert">
            {clearError}
          </p>
        )}
      </div>
      <ul className="min-h-0 flex-1 space-y-0.5 overflow-y-auto px-1.5 pb-3">
        {shown.length === 0 && (
          <li className="px-3 py-6 text-center text-xs leading-relaxed text-ink-500">
            {all.length === 0 ? (
              <>
                No workers yet.
                <br />
                Press <kbd className="rounded border border-ink-600 px-1 font-mono text-ink-300">n</kbd> to spawn one.
              </>
            ) : (
              'Nothing matches this filter.'
            )}
          </li>
        )}
        {shown.map((w) => (
          <WorkerRowItem
            key={w.name}
            worker={w}
            number={numbers.get(w.name)}
            focused={w.name === focused}
            visible={visible.includes(w.name)}
            end={w.status === 'exited' && w.exitedAt !== undefined ? w.exitedAt : now}
            onSelect={select}
            before={
              w === firstEnded && !query && (hiddenEnded > 0 || allEnded) ? (
                <button
                  type="button"
                  onClick={onToggleEnded}
                  className="mb-0.5 w-full rounded-md px-2.5 py-1 text-left text-[11px] text-ink-400 transition hover:bg-ink-850 hover:text-ink-200"
                  data-testid="older-ended"
                  aria-expanded={allEnded}
                  title="Ended workers are kept until removed (the Exited filter clears them)"
                >
                  {allEnded ? 'Hide older ended workers' : `Show ${hiddenEnded} older ended worker${hiddenEnded === 1 ? '' : 's'}`}
                </button>
              ) : undefined
            }
          />
        ))}
      </ul>
      <OrphanWorktrees workers={all} />
    </div>
  );
}


/** One worker's row; `end` is now for a live worker, when it ended for an ended one. */
const WorkerRowItem = memo(function WorkerRowItem({
  worker: w,
  number,
  focused: isFocused,
  visible: isVisible,
  end,
  onSelect,
  before,
}: {
  worker: WorkerInfo;
  number: number | undefined;
  focused: boolean;
  visible: boolean;
  end: number;
  onSelect: (name: string) => void;
  before?: ReactNode;
}) {
  const h = healthOf(w);
  return (
    <li>
      {before}
      <button
        type="button"
        onClick={() => onSelect(w.name)}
        data-testid={`worker-row-${w.name}`}
        title={w.task ? `Task: ${w.task}` : undefined}
        data-health={h}
        className={`group flex w-full flex-col gap-0.5 rounded-md border px-2.5 py-2 text-left transition ${
          isFocused
            ? 'border-accent/40 bg-accent/[0.07]'
            : isVisible
              ? 'border-ink-700 bg-ink-850'
              : 'border-transparent hover:bg-ink-850'
        } ${h === 'exited' || h === 'failed' ? 'opacity-60' : ''}`}
      >
        <div className="flex items-center gap-2">
          <WorkerStatusDot worker={w} />
          <span className="truncate font-mono text-[13px] font-medium text-ink-100">{w.name}</span>
          {(h === 'attention' || h === 'failed') && (
            <span
              className={`rounded px-1 text-[10px] font-semibold uppercase ${h === 'failed' ? 'bg-dead/15 text-dead' : 'bg-attn/15 text-attn'}`}
              data-testid={`attention-${w.name}`}
              title={healthTitle(w)}
            >
              {h === 'failed' ? (w.lost ? 'lost' : `exit ${w.exitCode ?? w.signal}`) : 'attention'}
            </span>
          )}
          {w.status !== 'exited' && w.injection && w.injection.held > 0 && (
            <span
              className="rounded bg-idle/15 px-1 font-mono text-[10px] font-semibold text-idle"
              data-testid={`held-row-${w.name}`}
              title={`${w.injection.held} message(s) held: flush or switch to auto in its terminal's Deliveries menu`}
            >
              held {w.injection.held}
            </span>
          )}
          <span className="ml-auto font-mono text-[10px] text-ink-500">{number ?? ''}</span>
        </div>
        <div className="flex items-center gap-1.5 pl-4 text-[11px] text-ink-400">
          <span className="rounded bg-ink-700/70 px-1 font-mono text-[10px] text-ink-300">{w.cli}</span>
          {w.node && <NodeBadge worker={w} testId={`worker-node-${w.name}`} />}
          <span className="truncate" data-testid={`worker-health-${w.name}`}>{healthLabel(w)}</span>
          <span className="ml-auto shrink-0 font-mono tabular-nums text-ink-500">{formatDuration(end - w.spawnedAt)}</span>
        </div>
        {w.worktree && (
          // [worktrees] The branch, and whether its work is merged yet.
          <div className="flex items-center gap-1 truncate pl-4 font-mono text-[10px] text-ink-500" data-testid={`worker-branch-${w.name}`}>
            <span className="truncate">{w.worktree.branch}</span>
            {w.worktree.state?.unmerged && <span className="shrink-0 rounded bg-attn/15 px-1 text-attn">unmerged {w.worktree.state.files}</span>}
            {w.worktree.state && !w.worktree.state.unmerged && <span className="shrink-0 text-run">merged</span>}
          </div>
        )}
        {(w.spawnerName || w.team) && (
          <div className="truncate pl-4 text-[10px] text-ink-500">
            {w.spawnerName && <>by {displayName(w.spawnerName)}</>}
            {w.spawnerName && w.team && ' · '}
            {w.team && <>team {w.team}</>}
          </div>
        )}
      </button>
    </li>
  );
});

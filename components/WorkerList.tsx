'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { formatDuration } from '../lib/client/format';
import { removeWorkers } from '../lib/client/workerActions';
import { useNow } from '../lib/client/useNow';
import type { WorkerInfo } from '../lib/protocol/workers';
import { healthLabel, healthOf, WorkerStatusDot } from './WorkerStatusDot';

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
  return [w.name, w.cli, w.team, w.spawnerName, w.task].some((v) => v?.toLowerCase().includes(q));
}

/** Sidebar list of workers: status, CLI, spawner, uptime; filter chips and a search box. */
export function WorkerList({
  workers,
  focused,
  visible,
  onSelect,
  onSpawn,
}: {
  workers: WorkerInfo[];
  focused: string | null;
  visible: string[];
  onSelect: (name: string) => void;
  onSpawn: () => void;
}) {
  const [filter, setFilter] = useState<Filter>('all');
  const [query, setQuery] = useState('');
  const now = useNow();
  const shown = useMemo(() => workers.filter((w) => matches(w, filter, query)), [workers, filter, query]);
  const attention = workers.filter((w) => {
    const h = healthOf(w);
    return h === 'attention' || h === 'failed';
  }).length;
  const exited = workers.filter((w) => w.status === 'exited');
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
          Workers <span className="ml-1 font-mono text-ink-500">{workers.length}</span>
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
            {workers.length === 0 ? (
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
        {shown.map((w) => {
          const h = healthOf(w);
          const isFocused = w.name === focused;
          const isVisible = visible.includes(w.name);
          const end = w.status === 'exited' ? (w.exitedAt ?? now) : now;
          return (
            <li key={w.name}>
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
                    >
                      {h === 'failed' ? `exit ${w.exitCode ?? w.signal}` : 'input?'}
                    </span>
                  )}
                  <span className="ml-auto font-mono text-[10px] text-ink-500">{workers.indexOf(w) < 9 ? workers.indexOf(w) + 1 : ''}</span>
                </div>
                <div className="flex items-center gap-1.5 pl-4 text-[11px] text-ink-400">
                  <span className="rounded bg-ink-700/70 px-1 font-mono text-[10px] text-ink-300">{w.cli}</span>
                  <span className="truncate" data-testid={`worker-health-${w.name}`}>{healthLabel(w)}</span>
                  <span className="ml-auto shrink-0 font-mono tabular-nums text-ink-500">{formatDuration(end - w.spawnedAt)}</span>
                </div>
                {(w.spawnerName || w.team) && (
                  <div className="truncate pl-4 text-[10px] text-ink-500">
                    {w.spawnerName && <>by {w.spawnerName}</>}
                    {w.spawnerName && w.team && ' · '}
                    {w.team && <>team {w.team}</>}
                  </div>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

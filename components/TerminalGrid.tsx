'use client';
import type { WorkerInfo } from '../lib/protocol/workers';
import { TerminalPane } from './TerminalPane';

export const GRID_SIZES = [1, 2, 4, 6] as const;
export type GridSize = (typeof GRID_SIZES)[number];

const GRID_CLASS: Record<GridSize, string> = {
  1: 'grid-cols-1 grid-rows-1',
  2: 'grid-cols-1 grid-rows-2 lg:grid-cols-2 lg:grid-rows-1',
  4: 'grid-cols-2 grid-rows-2',
  // Three columns only where each still fits a pane header and a readable terminal.
  6: 'grid-cols-2 grid-rows-3 xl:grid-cols-3 xl:grid-rows-2',
};

/** The focused terminal alone, or a tiled grid of 2, 4 or 6 terminals. */
export function TerminalGrid({
  workers,
  size,
  focused,
  focusRequest,
  onFocus,
  onSpawn,
}: {
  workers: WorkerInfo[];
  size: GridSize;
  focused: string | null;
  focusRequest: number;
  onFocus: (name: string) => void;
  onSpawn: () => void;
}) {
  if (workers.length === 0) {
    return (
      <div className="flex h-full flex-col items-center justify-center gap-4 text-center">
        <div className="rounded-2xl border border-ink-700 bg-ink-900/60 px-10 py-8">
          <p className="font-mono text-sm text-accent">$ agent-relay spawn</p>
          <p className="mt-2 max-w-xs text-sm text-ink-300">Start an agent in a real terminal. Watch it work, type into it, let it message the others.</p>
          <button
            type="button"
            onClick={onSpawn}
            className="mt-5 rounded-md bg-accent px-4 py-1.5 text-sm font-semibold text-ink-950 hover:brightness-110"
          >
            Spawn a worker
          </button>
          <p className="mt-3 text-[11px] text-ink-500">
            or press <kbd className="rounded border border-ink-600 px-1 font-mono">n</kbd>
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className={`grid h-full min-h-0 gap-2 ${GRID_CLASS[size]}`} data-testid="terminal-grid" data-size={size}>
      {workers.slice(0, size).map((w) => (
        <TerminalPane
          key={w.name}
          worker={w}
          focused={w.name === focused}
          focusRequest={w.name === focused ? focusRequest : 0}
          onFocus={() => onFocus(w.name)}
        />
      ))}
    </div>
  );
}

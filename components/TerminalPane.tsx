'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { apiFetch } from '../client/api';
import { describeLogGaps, formatClock } from '../client/format';
import { removeWorkers } from '../client/workerActions';
import type { SessionState } from '../client/terminalSession';
import { getSession } from '../client/terminalSessions';
import { rendererLabel } from '../client/renderer';
import type { WorkerInfo } from '../lib/protocol/workers';
import { ChangesPanel } from './ChangesPanel';
import { DeliveriesBar, DeliveriesButton } from './Deliveries';
import { PowerIcon, SearchIcon } from './Icons';
import { RemoveWorktreeConfirm } from './RemoveWorktreeConfirm';
import { WorktreeTabs, type PaneView } from './WorktreeTabs';
import { WorkerStatusBadge } from './WorkerStatusDot';
import { NodeBadge } from './NodeBadge';

/** What the server's HTML shows for every pane (not attached yet); hydration must start from the same. */
const SERVER_STATE: SessionState = { attached: false, driving: false, driver: null, error: null, renderer: null };

function useSessionState(name: string) {
  const session = getSession(name);
  const state = useSyncExternalStore(
    (cb) => session.subscribe(cb),
    () => session.state,
    () => SERVER_STATE,
  );
  return { session, state };
}

const BTN =
  'rounded border border-ink-700 bg-ink-850 px-1 py-0.5 @xs:px-2 text-[11px] font-medium text-ink-300 transition hover:border-ink-500 hover:text-ink-100 disabled:opacity-40';

/** One worker's terminal: xterm.js view, drive/watch, interrupt, search, release. */
export function TerminalPane({
  worker,
  focused,
  focusRequest,
  onFocus,
}: {
  worker: WorkerInfo;
  focused: boolean;
  /** Increases each time the user asks to focus this terminal; 0 means never asked. */
  focusRequest: number;
  onFocus: () => void;
}) {
  const name = worker.name;
  const { session, state } = useSessionState(name);
  const containerRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const [searchOpen, setSearchOpen] = useState(false);
  const [deliveriesOpen, setDeliveriesOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [releasing, setReleasing] = useState<null | 'graceful' | 'force' | 'remove'>(null);
  const client = useQueryClient();
  const [releaseError, setReleaseError] = useState<string | null>(null);
  const exited = worker.status === 'exited';
  // [worktrees] Terminal or Changes view, and a removal that found unmerged work (asks first).
  const [view, setView] = useState<PaneView>('terminal');
  const [unmerged, setUnmerged] = useState<{ message: string; files?: string[] } | null>(null);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    let cancelled = false;
    void session.mount(container).then(() => {
      if (cancelled) return;
      session.term?.attachCustomKeyEventHandler((e) => {
        if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.key === 'F' || e.key === 'f')) {
          setSearchOpen(true);
          setTimeout(() => searchRef.current?.focus(), 0);
          return false;
        }
        return true;
      });
    });
    return () => {
      cancelled = true;
      session.unmount();
    };
  }, [session]);

  useEffect(() => {
    if (!state.driving) session.setWorkerSize(worker.cols, worker.rows);
  }, [session, state.driving, worker.cols, worker.rows]);

  // Keyboard focus moves into a terminal only when the user asked for it (row click, number key), never
  // on page load, so single-key shortcuts keep working until then.
  useEffect(() => {
    if (focusRequest > 0) session.focus();
  }, [focusRequest, session]);

  async function release(force: boolean) {
    setReleasing(force ? 'force' : 'graceful');
    setReleaseError(null);
    try {
      await apiFetch(`/api/workers/${encodeURIComponent(name)}${force ? '?force=1' : ''}`, { method: 'DELETE' });
    } catch (err) {
      setReleaseError((err as Error).message);
    } finally {
      setReleasing(null);
    }
  }

  async function remove() {
    setReleasing('remove');
    setReleaseError(null);
    const [failed] = await removeWorkers(client, [name]);
    if (failed?.code === 'UNMERGED_WORK') {
      setUnmerged({ message: failed.message, files: failed.files });
      setReleasing(null);
    } else if (failed) {
      setReleaseError(failed.message);
      setReleasing(null);
    }
  }

  function search(direction: 'next' | 'prev') {
    if (!query) return;
    if (direction === 'next') session.findNext(query);
    else session.findPrevious(query);
  }

  return (
    <section
      className={`@container flex min-h-0 min-w-0 flex-col overflow-hidden rounded-lg border bg-[#0a0d12] shadow-xl shadow-black/30 transition ${
        focused ? 'border-accent/50 ring-1 ring-accent/20' : 'border-ink-700'
      }`}
      onMouseDown={onFocus}
      data-testid={`terminal-${name}`}
      data-driving={state.driving ? 'true' : 'false'}
      data-renderer={state.renderer?.kind}
      aria-label={`Terminal of ${name}`}
    >
      <header className="flex h-9 shrink-0 items-center gap-1 overflow-hidden border-b border-ink-700/80 bg-ink-900 px-1.5 @xs:gap-2 @xs:px-2.5">
        <span className="hidden gap-1 @2xl:flex" aria-hidden>
          <span className="h-2.5 w-2.5 rounded-full bg-ink-600" />
          <span className="h-2.5 w-2.5 rounded-full bg-ink-600" />
          <span className="h-2.5 w-2.5 rounded-full bg-ink-600" />
        </span>
        <span className="min-w-[2.5rem] truncate font-mono text-[13px] font-semibold text-ink-100">{name}</span>
        <span className="hidden rounded bg-ink-700/70 px-1 font-mono text-[10px] text-ink-300 @lg:inline">{worker.cli}</span>
        {worker.node && <NodeBadge worker={worker} testId={`terminal-node-${name}`} />}
        <WorkerStatusBadge worker={worker} testId={`terminal-status-${name}`} />
        <span className="hidden font-mono text-[10px] text-ink-500 @2xl:inline" data-testid={`terminal-size-${name}`}>
          {worker.cols}×{worker.rows}
        </span>
        {state.renderer && (
          <span className="hidden font-mono text-[10px] text-ink-500 @2xl:inline" data-testid={`terminal-renderer-${name}`} title={`Renderer: ${rendererLabel(state.renderer.kind)}: ${state.renderer.reason}`}>
            {rendererLabel(state.renderer.kind)}
          </span>
        )}
        <div className="ml-auto flex shrink-0 items-center gap-0.5 @xs:gap-1">
          {!exited && <DeliveriesButton worker={worker} open={deliveriesOpen} onToggle={() => setDeliveriesOpen((v) => !v)} />}
          {!exited && (
            <button
              type="button"
              className={`${BTN} ${state.driving ? '!border-accent/50 !text-accent' : ''}`}
              onClick={() => session.drive()}
              disabled={state.driving}
              data-testid={`drive-${name}`}
              title={state.driving ? 'You drive this terminal: your keys and size go to the worker' : 'Take control of this terminal'}
            >
              {/* Narrow panes (a grid of 6) keep every action visible by dropping words first. */}
              {state.driving ? (
                <>
                  ●<span className="hidden @sm:inline"> Driving</span>
                </>
              ) : (
                'Drive'
              )}
            </button>
          )}
          {!exited && (
            <button
              type="button"
              className={BTN}
              onClick={() => session.sendInput('\x03')}
              disabled={!state.driving}
              data-testid={`interrupt-${name}`}
              title="Send Ctrl-C"
            >
              ^C
            </button>
          )}
          <button
            type="button"
            className={`${BTN} hidden @xs:inline-block`}
            onClick={() => {
              setSearchOpen((v) => !v);
              setTimeout(() => searchRef.current?.focus(), 0);
            }}
            title="Search (Ctrl+Shift+F)"
            aria-label="Search terminal"
          >
            <SearchIcon className="h-3 w-3" />
          </button>
          {!exited && (
            <>
              <button
                type="button"
                className={`${BTN} hover:!border-dead/60 hover:!text-dead`}
                onClick={() => void release(false)}
                disabled={releasing !== null}
                data-testid={`release-${name}`}
                title="Release: ask it to exit, then SIGTERM, then SIGKILL after the grace period"
                aria-label="Release"
              >
                <span className="hidden @sm:inline">{releasing === 'graceful' ? 'Releasing…' : 'Release'}</span>
                <PowerIcon className="h-3 w-3 @sm:hidden" />
              </button>
              <button
                type="button"
                className={`${BTN} hover:!border-dead/60 hover:!text-dead`}
                onClick={() => void release(true)}
                disabled={releasing === 'force'}
                data-testid={`force-release-${name}`}
                title="SIGKILL now"
                aria-label="Kill"
              >
                <span className="hidden @xs:inline">Kill</span>
                <span className="@xs:hidden" aria-hidden>
                  ✕
                </span>
              </button>
            </>
          )}
          {exited && (
            <button
              type="button"
              className={`${BTN} hover:!border-dead/60 hover:!text-dead`}
              onClick={() => void remove()}
              disabled={releasing !== null}
              data-testid={`remove-${name}`}
              title="Forget this worker: its record, log and terminal"
            >
              {releasing === 'remove' ? 'Removing…' : 'Remove'}
            </button>
          )}
        </div>
      </header>
      {searchOpen && (
        <div className="flex shrink-0 items-center gap-1.5 border-b border-ink-700/80 bg-ink-850 px-2.5 py-1">
          <input
            ref={searchRef}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              if (e.target.value) session.findNext(e.target.value);
              else session.clearSearch();
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') search(e.shiftKey ? 'prev' : 'next');
              if (e.key === 'Escape') {
                setSearchOpen(false);
                session.clearSearch();
                session.focus();
              }
            }}
            placeholder="Find in terminal"
            aria-label={`Find in ${name}`}
            className="min-w-0 flex-1 bg-transparent font-mono text-xs text-ink-100 placeholder:text-ink-500 focus:outline-none"
          />
          <button type="button" className={BTN} onClick={() => search('prev')} aria-label="Previous match">
            ↑
          </button>
          <button type="button" className={BTN} onClick={() => search('next')} aria-label="Next match">
            ↓
          </button>
        </div>
      )}
      {/* Held deliveries stay in sight: the person who held them needs the way to let them go. */}
      {!exited && (deliveriesOpen || worker.injection?.mode === 'hold') && <DeliveriesBar worker={worker} />}
      {!exited && worker.needsAttention && (
        <div className="flex shrink-0 items-center gap-2 border-b border-attn/30 bg-attn/10 px-3 py-1 text-[11px] text-attn" role="status" data-testid={`attention-bar-${name}`}>
          <span className="truncate" title={worker.attentionReason}>
            {worker.attentionReason ?? `${name} needs you: look at its terminal.`}
          </span>
        </div>
      )}
      {(state.error || releaseError) && (
        <div className="shrink-0 border-b border-dead/30 bg-dead/10 px-3 py-1 text-[11px] text-dead" role="alert">
          {releaseError ?? state.error}
        </div>
      )}
      {worker.logGaps && worker.logGaps.length > 0 && (
        <div className="shrink-0 border-b border-attn/30 bg-attn/10 px-3 py-1 text-[11px] text-attn" role="status" data-testid={`log-gap-${name}`}>
          {describeLogGaps(worker.logGaps)}
        </div>
      )}
      {exited && (
        <div className="flex shrink-0 items-center gap-2 border-b border-ink-700/60 bg-ink-850/70 px-3 py-1 text-[11px] text-ink-400" data-testid={`exited-bar-${name}`}>
          <span className="truncate">
            {worker.lost
              ? `Lost: ${worker.lost.reason}`
              : worker.released
                ? 'Released'
                : worker.signal
                  ? `Ended by ${worker.signal}`
                  : `Exited with code ${worker.exitCode ?? '?'}`}
            {/* The server renders in its own time zone; the browser redraws the clock in the user's. */}
            {worker.exitedAt ? <span suppressHydrationWarning>{` at ${formatClock(worker.exitedAt)}`}</span> : null}. Its last screen stays
            here until you remove it.
          </span>
        </div>
      )}
      {!state.driving && !exited && state.attached && (
        <div className="flex shrink-0 items-center gap-2 border-b border-ink-700/60 bg-ink-850/70 px-3 py-1 text-[11px] text-ink-400">
          Watching{state.driver ? ' — another viewer drives this terminal' : ''}.
          <button type="button" className="text-accent hover:underline" onClick={() => session.drive()}>
            Take control
          </button>
        </div>
      )}
      {unmerged && <RemoveWorktreeConfirm name={name} reason={unmerged} onDone={() => setUnmerged(null)} />}
      <WorktreeTabs worker={worker} view={view} onView={setView} />
      <div className="relative flex min-h-0 flex-1 flex-col">
        <div
          ref={containerRef}
          className="relative min-h-0 flex-1 overflow-hidden"
          onClick={() => session.focus()}
          data-testid={`xterm-${name}`}
        />
        {view === 'changes' && worker.worktree && <ChangesPanel subject={{ name, worktree: worker.worktree, task: worker.task, running: !exited }} />}
      </div>
    </section>
  );
}

'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { readFocusCookie, rememberFocus } from '../client/focusMemory';
import { bringOnScreen, gridOrder, listOrder, listRows, placeFocused, type InitialScreens } from '../client/initialData';
import { useAgents, useMessages, useStatus, useWorkers } from '../client/queries';
import { dropSession, getSession, primeScreens } from '../client/terminalSessions';
import { useAttentionNotifications } from '../client/useAttentionNotifications';
import { useKeyboardShortcuts } from '../client/useKeyboardShortcuts';
import { useMediaQuery } from '../client/useMediaQuery';
import { markOnce } from '../client/perfMarks';
import { RenderClock } from '../client/useNow';
import { isInternalName } from '../lib/protocol/names';
import type { WorkerInfo } from '../lib/protocol/workers';
import { Composer } from './Composer';
import { DaemonStatus } from './DaemonStatus';
import { BellIcon, RelayIcon } from './Icons';
import { KeyBar } from './KeyBar';
import { MessageTimeline } from './MessageTimeline';
import { ShortcutHelp } from './ShortcutHelp';
import { SpawnDialog } from './SpawnDialog';
import { GRID_SIZES, TerminalGrid, type GridSize } from './TerminalGrid';
import { WorkerList } from './WorkerList';

type PhoneTab = 'workers' | 'terminal' | 'messages';

/**
 * The whole dashboard: header, worker list, terminals, messages; a single column on a phone.
 * `initial` is set when the server rendered it with data (app/page.tsx): its clock keeps the first
 * client render's uptimes equal to the HTML's, its screens are drawn before the socket connects.
 * `phoneHint`: the request came from a phone, so the server renders the phone layout.
 */
export function Dashboard({ initial, phoneHint = false }: { initial?: InitialScreens; phoneHint?: boolean }) {
  useState(() => primeScreens(initial?.screens ?? []));
  const workersQuery = useWorkers();
  const agentsQuery = useAgents();
  const messagesQuery = useMessages();
  const workers = useMemo(() => workersQuery.data ?? [], [workersQuery.data]);
  // The server lays the page out for a phone when the browser says it is one (app/page.tsx).
  const phone = useMediaQuery('(max-width: 767px)', phoneHint);

  // The grid's slots and, apart from them, the focused terminal: focusing a pane on screen does not
  // move it. The server rendered with the remembered ones; without server data, they are read once mounted.
  const [recent, setRecent] = useState<string[]>(() => initial?.recent ?? []);
  const [focusedName, setFocusedName] = useState<string | null>(() => initial?.recent[0] ?? null);
  // Focused workers, most recent first: which pane on screen gives its place to one brought on screen.
  const [mru, setMru] = useState<string[]>(() => initial?.recent.slice(0, 1) ?? []);
  const [focusRequest, setFocusRequest] = useState(0);
  const [grid, setGrid] = useState<GridSize>(1);
  // The sidebar lists the last ENDED_ROWS ended workers until asked for the older ones.
  const [allEnded, setAllEnded] = useState(false);
  const [spawnOpen, setSpawnOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [tab, setTab] = useState<PhoneTab>('terminal');
  const [to, setTo] = useState('*');
  const [thread, setThread] = useState<string | undefined>(undefined);
  const composerRef = useRef<HTMLTextAreaElement>(null);

  const size: GridSize = phone ? 1 : grid;
  const slots = useMemo(() => gridOrder(workers, recent), [workers, recent]);
  // The focused worker; the first pane when none was chosen or the chosen one was removed.
  const focused = (focusedName !== null && workers.some((w) => w.name === focusedName) ? focusedName : slots[0]?.name) ?? null;
  const ordered = useMemo(() => placeFocused(slots, focused, size), [slots, focused, size]);
  const listed = useMemo(() => listOrder(workers), [workers]);
  const visible = ordered.slice(0, size).map((w) => w.name);
  const visibleKey = visible.join('\n');
  // The rows the sidebar draws (and the number keys count): the older ended workers only when asked.
  const { rows, hidden: hiddenEnded } = useMemo(
    () => listRows(listed, { all: allEnded, pinned: [...(focused ? [focused] : []), ...(visibleKey ? visibleKey.split('\n') : [])] }),
    [listed, allEnded, focused, visibleKey],
  );
  const workerNames = useMemo(() => new Set(workers.map((w) => w.name)), [workers]);
  const agentNames = useMemo(() => {
    const names = new Set<string>([...workers.map((w) => w.name), ...(agentsQuery.data ?? []).map((a) => a.name)]);
    return [...names].filter((n) => !isInternalName(n) && n !== 'Dashboard').sort();
  }, [workers, agentsQuery.data]);
  const notifications = useAttentionNotifications(workers);
  const status = useStatus();
  const project = status.data?.projectRoot?.split('/').filter(Boolean).pop();

  useEffect(() => markOnce('hydrated'), []);

  // The cookie holds the focused one first, so a reload (one pane) opens on it.
  const restored = useRef(initial !== undefined);
  useEffect(() => {
    if (restored.current) {
      rememberFocus(focused ? [focused, ...recent.filter((n) => n !== focused)] : recent);
      return;
    }
    restored.current = true;
    const remembered = readFocusCookie();
    if (remembered.length) {
      setRecent((r) => [...remembered, ...r.filter((n) => !remembered.includes(n))]);
      setFocusedName(remembered[0]);
    }
  }, [recent, focused]);

  // A focused pane pushed off screen (a smaller grid) came to the first slot above: that is kept, so
  // it stays there when another pane is focused.
  useEffect(() => {
    if (focused && slots.findIndex((w) => w.name === focused) >= size) setRecent((r) => [focused, ...r.filter((n) => n !== focused)]);
  }, [focused, slots, size]);

  // Terminals on screen keep their place: a pane shown by default order (nothing clicked yet) would
  // otherwise jump away when its worker exits and exited workers sort last.
  useEffect(() => {
    const shown = visibleKey ? visibleKey.split('\n') : [];
    setRecent((r) => (shown.every((n) => r.includes(n)) ? r : [...r, ...shown.filter((n) => !r.includes(n))]));
  }, [visibleKey]);

  // Terminals of workers that disappeared from the list are disposed.
  const known = useRef(new Set<string>());
  useEffect(() => {
    for (const n of known.current) if (!workerNames.has(n)) dropSession(n);
    known.current = new Set(workerNames);
  }, [workerNames]);

  // A pane on screen is focused where it is; another one takes the place of the pane focused longest ago.
  function focus(name: string, keyboard = true) {
    setFocusedName(name);
    setMru((m) => [name, ...m.filter((n) => n !== name)].slice(0, 12));
    if (!visible.includes(name)) setRecent(bringOnScreen(ordered.map((w) => w.name), size, name, mru).slice(0, 12));
    if (keyboard) setFocusRequest((n) => n + 1);
    if (phone) setTab('terminal');
  }

  useKeyboardShortcuts({
    spawn: () => setSpawnOpen(true),
    focusIndex: (i) => rows[i] && focus(rows[i].name),
    cycleLayout: () => setGrid((g) => GRID_SIZES[(GRID_SIZES.indexOf(g) + 1) % GRID_SIZES.length]),
    focusComposer: () => {
      if (phone) setTab('messages');
      setTimeout(() => composerRef.current?.focus(), 0);
    },
    drive: () => focused && getSession(focused).drive(),
    focusTerminal: () => focused && getSession(focused).focus(),
    help: () => setHelpOpen((v) => !v),
    escape: () => {
      setSpawnOpen(false);
      setHelpOpen(false);
    },
  });

  const workerList = (
    <WorkerList
      workers={rows}
      all={listed}
      hiddenEnded={hiddenEnded}
      allEnded={allEnded}
      onToggleEnded={() => setAllEnded((v) => !v)}
      focused={focused}
      visible={visible}
      onSelect={focus}
      onSpawn={() => setSpawnOpen(true)}
    />
  );
  const messagesPanel = (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex items-center justify-between px-3 pt-3 pb-1">
        <h2 className="text-[11px] font-semibold uppercase tracking-[0.14em] text-ink-400">
          Messages <span className="ml-1 font-mono text-ink-500">{messagesQuery.data?.length ?? 0}</span>
        </h2>
      </div>
      <MessageTimeline
        messages={messagesQuery.data ?? []}
        workerNames={workerNames}
        onOpenAgent={focus}
        onReply={(name, t) => {
          setTo(name);
          setThread(t);
          composerRef.current?.focus();
        }}
      />
      <Composer
        ref={composerRef}
        agents={agentNames}
        to={to}
        thread={thread}
        onToChange={(next, t) => {
          setTo(next);
          setThread(t);
        }}
      />
    </div>
  );
  const terminals = workersQuery.isError ? (
    <div className="flex h-full items-center justify-center p-6 text-center text-sm text-dead" role="alert">
      {workersQuery.error.message}
    </div>
  ) : (
    <TerminalGrid
      workers={ordered}
      size={size}
      focused={focused}
      focusRequest={focusRequest}
      onFocus={(name) => focus(name, false)}
      onSpawn={() => setSpawnOpen(true)}
    />
  );

  return (
    <RenderClock.Provider value={initial?.renderedAt ?? null}>
    <div className="flex h-dvh flex-col bg-ink-950 bg-[radial-gradient(ellipse_at_top,rgba(45,212,191,0.06),transparent_60%)]">
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-ink-700 bg-ink-900/80 px-4">
        <div className="flex items-center gap-2">
          <span className="grid h-7 w-7 place-items-center rounded-lg bg-gradient-to-br from-accent/30 to-idle/20 text-accent ring-1 ring-accent/30">
            <RelayIcon className="h-4 w-4" />
          </span>
          <span className="font-mono text-sm font-bold tracking-tight text-ink-100">
            agent<span className="text-accent">-</span>relay
          </span>
          {project && (
            <span className="hidden items-center gap-2 font-mono text-xs text-ink-400 sm:flex" title={status.data?.projectRoot}>
              <span className="text-ink-600">/</span>
              {project}
            </span>
          )}
        </div>
        <div className="ml-auto flex min-w-0 items-center gap-4">
          <DaemonStatus />
          {!phone && (
            <div className="flex items-center rounded-md border border-ink-700 bg-ink-850 p-0.5" role="group" aria-label="Terminal grid">
              {GRID_SIZES.map((n) => (
                <button
                  key={n}
                  type="button"
                  onClick={() => setGrid(n)}
                  className={`h-6 w-6 rounded font-mono text-[11px] ${grid === n ? 'bg-ink-600 text-ink-100' : 'text-ink-400 hover:text-ink-200'}`}
                  aria-pressed={grid === n}
                  data-testid={`grid-${n}`}
                  title={`Show ${n} terminal${n > 1 ? 's' : ''} (l cycles)`}
                >
                  {n}
                </button>
              ))}
            </div>
          )}
          {notifications.supported && (
            <button
              type="button"
              onClick={() => void notifications.toggle()}
              className={`text-sm ${notifications.enabled ? 'text-accent' : 'text-ink-500 hover:text-ink-300'}`}
              title={notifications.enabled ? 'Browser notifications on' : 'Notify me when a worker needs attention'}
              aria-pressed={notifications.enabled}
              data-testid="notifications-toggle"
            >
              <BellIcon className="h-4 w-4" off={!notifications.enabled} />
            </button>
          )}
          <button
            type="button"
            onClick={() => setHelpOpen(true)}
            className="grid h-6 w-6 place-items-center rounded-md border border-ink-700 font-mono text-xs text-ink-400 hover:text-ink-100"
            title="Keyboard shortcuts (?)"
          >
            ?
          </button>
        </div>
      </header>

      {phone ? (
        <>
          <main className="min-h-0 flex-1 p-1.5">
            {tab === 'workers' && <div className="h-full rounded-lg border border-ink-700 bg-ink-900/70">{workerList}</div>}
            {tab === 'terminal' && terminals}
            {tab === 'messages' && <div className="h-full rounded-lg border border-ink-700 bg-ink-900/70">{messagesPanel}</div>}
          </main>
          {tab === 'terminal' && ordered[0]?.status !== 'exited' && <KeyBar worker={focused} />}
          <nav className="grid shrink-0 grid-cols-3 border-t border-ink-700 bg-ink-900" aria-label="Sections">
            {(['workers', 'terminal', 'messages'] as const).map((t) => (
              <button
                key={t}
                type="button"
                onClick={() => setTab(t)}
                className={`py-2.5 text-xs capitalize ${tab === t ? 'text-accent' : 'text-ink-400'}`}
                data-testid={`tab-${t}`}
              >
                {t}
              </button>
            ))}
          </nav>
        </>
      ) : (
        // Messages sit right of the terminals from 1024 px, below them under it: placed by CSS, so the
        // server's HTML is already laid out for the window and nothing moves when the page hydrates.
        <main className="grid min-h-0 flex-1 grid-cols-[16rem_minmax(0,1fr)] grid-rows-[minmax(0,1fr)_18rem] gap-2 p-2 lg:grid-cols-[16rem_minmax(0,1fr)_20rem] lg:grid-rows-[minmax(0,1fr)] xl:grid-cols-[16rem_minmax(0,1fr)_24rem]">
          <aside className="row-span-2 min-h-0 overflow-hidden rounded-lg border border-ink-700 bg-ink-900/70 lg:row-span-1">{workerList}</aside>
          <section className="min-h-0 min-w-0">{terminals}</section>
          <aside className="col-start-2 min-h-0 overflow-hidden rounded-lg border border-ink-700 bg-ink-900/70 lg:col-start-3 lg:row-start-1">
            {messagesPanel}
          </aside>
        </main>
      )}

      {spawnOpen && (
        <SpawnDialog
          workers={workers}
          onClose={() => setSpawnOpen(false)}
          onSpawned={(w) => {
            setSpawnOpen(false);
            focus(w.name);
          }}
        />
      )}
      {helpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
    </div>
    </RenderClock.Provider>
  );
}

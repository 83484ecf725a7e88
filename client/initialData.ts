import type { AgentSummary, StatusResponse, StoredMessageView, WorkerInfo } from '../lib/protocol';
import type { SnapshotEvent } from '../lib/realtime/events';

/**
 * Query keys and the shapes cached under them. No 'use client' here: the server page (app/page.tsx)
 * imports these to seed the cache it sends with the HTML, and a 'use client' module would hand a
 * server component references instead of values.
 */
export const queryKeys = {
  status: ['status'] as const,
  workers: ['workers'] as const,
  agents: ['agents'] as const,
  messages: ['messages'] as const,
};

/** How many messages the timeline loads. */
export const TIMELINE_LIMIT = 200;

/** STATUS plus the moment it was read, from which the header's uptime keeps counting. */
export type StatusView = StatusResponse & { fetchedAt: number };

/** Agent rows as the API returns them; worker fields are joined in when the agent is a worker. */
export type AgentRow = AgentSummary & {
  online?: boolean;
  worker?: Pick<WorkerInfo, 'status' | 'cli' | 'exitCode' | 'needsAttention' | 'spawnedAt'>;
};

/**
 * The order terminals are tiled in: the remembered slots first (`recent`: a terminal brought on screen
 * takes the first slot, one already there keeps its place), then running workers, then exited ones.
 */
export function gridOrder(workers: WorkerInfo[], recent: readonly string[]): WorkerInfo[] {
  const byName = new Map(workers.map((w) => [w.name, w]));
  const out: WorkerInfo[] = [];
  for (const n of recent) {
    const w = byName.get(n);
    if (w) out.push(w);
  }
  const rest = workers.filter((w) => !recent.includes(w.name));
  out.push(...rest.filter((w) => w.status !== 'exited'), ...rest.filter((w) => w.status === 'exited'));
  return out;
}

/**
 * The grid's slots with the focused terminal on screen: focusing a pane never moves it (as in tmux
 * or VS Code), so the order stays as it is while the focused one is among the first `size`; when it
 * is not (a grid made smaller, one pane alone), it takes the first slot.
 */
export function placeFocused(ordered: WorkerInfo[], focused: string | null, size: number): WorkerInfo[] {
  const i = focused === null ? -1 : ordered.findIndex((w) => w.name === focused);
  if (i < size) return ordered;
  return [ordered[i], ...ordered.slice(0, i), ...ordered.slice(i + 1)];
}

/**
 * A worker brought on screen (from the list, a number key) takes the place of the pane on screen
 * that was focused longest ago (one never focused first, the last slot first among those), so the
 * panes a person just used stay where they are. `slots`: the grid's order now; `mru`: focused
 * workers, most recent first. Returns the new order.
 */
export function bringOnScreen(slots: readonly string[], size: number, name: string, mru: readonly string[]): string[] {
  const rest = slots.filter((n) => n !== name);
  const shown = rest.slice(0, size);
  if (shown.length < size) return [...shown, name, ...rest.slice(size)];
  const age = (n: string) => (mru.includes(n) ? mru.indexOf(n) : Number.MAX_SAFE_INTEGER);
  let victim = shown.length - 1;
  for (let i = shown.length - 1; i >= 0; i--) if (age(shown[i]) > age(shown[victim])) victim = i;
  const out = [...rest];
  const [gone] = out.splice(victim, 1, name);
  out.splice(size, 0, gone);
  return out;
}

/** The sidebar's order: live workers above ended ones, each group in spawn order. */
export function listOrder(workers: WorkerInfo[]): WorkerInfo[] {
  return [...workers.filter((w) => w.status !== 'exited'), ...workers.filter((w) => w.status === 'exited')];
}

/**
 * Ended workers the sidebar lists before "N older ended" (its button shows the rest). A relay that has
 * run for a while lists hundreds of them (the bench's browser section meets ~250): rendered as rows,
 * they were most of the page's HTML (~0.9 KB each), of its style, layout and hydration, and of the
 * first paint (docs/performance.md, 20).
 */
export const ENDED_ROWS = 20;

/**
 * The sidebar's rows: every live worker, then the `limit` ended ones spawned last, plus any older
 * ended one in `pinned` (on screen or focused: its row is where a person looks for it); all of them
 * when `all`. `hidden` counts the ended ones left out. Keeps `listed`'s order.
 */
export function listRows(listed: WorkerInfo[], opts: { all: boolean; pinned: readonly string[]; limit?: number }): { rows: WorkerInfo[]; hidden: number } {
  const limit = opts.limit ?? ENDED_ROWS;
  const ended = listed.filter((w) => w.status === 'exited');
  if (opts.all || ended.length <= limit) return { rows: listed, hidden: 0 };
  const kept = new Set(ended.slice(ended.length - limit));
  const rows = listed.filter((w) => w.status !== 'exited' || kept.has(w) || opts.pinned.includes(w.name));
  return { rows, hidden: listed.length - rows.length };
}

/** What the server renders into the page besides the query cache (app/initial-data.ts). */
export interface InitialScreens {
  /** Server time of the render. */
  renderedAt: number;
  /** The focused terminal, then the grid's other slots, as the page remembered them (client/focusMemory.ts). */
  recent: string[];
  /** The screen of the terminal shown first, so it is drawn before the socket has connected. */
  screens: SnapshotEvent[];
}

/** Oldest first, as the timeline draws them. */
export function sortMessages(messages: StoredMessageView[]): StoredMessageView[] {
  return [...messages].sort((a, b) => a.timestamp - b.timestamp);
}

'use client';
import { DaemonStatus } from './DaemonStatus';

/** The whole dashboard: header, worker list, terminals, messages. */
export function Dashboard() {
  return (
    <div className="flex h-dvh flex-col">
      <header className="flex h-12 shrink-0 items-center justify-between gap-4 border-b border-ink-700 bg-ink-900/80 px-4">
        <div className="flex items-center gap-2">
          <span className="font-mono text-sm font-bold tracking-tight text-accent">agent-relay</span>
        </div>
        <DaemonStatus />
      </header>
      <main className="flex min-h-0 flex-1 items-center justify-center text-sm text-ink-400">Loading workers…</main>
    </div>
  );
}

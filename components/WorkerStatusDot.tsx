import type { WorkerInfo } from '../lib/protocol/workers';

export type WorkerHealth = 'starting' | 'running' | 'idle' | 'attention' | 'exited' | 'failed';

/** One word for what a worker is doing, attention and failure included. */
export function healthOf(w: Pick<WorkerInfo, 'status' | 'needsAttention' | 'exitCode' | 'signal'>): WorkerHealth {
  if (w.status === 'exited') return (w.exitCode ?? 0) === 0 && !w.signal ? 'exited' : 'failed';
  if (w.needsAttention) return 'attention';
  return w.status;
}

export function healthLabel(w: Pick<WorkerInfo, 'status' | 'needsAttention' | 'exitCode' | 'signal'>): string {
  const h = healthOf(w);
  if (h === 'exited' || h === 'failed') return w.signal ? `exited (${w.signal})` : `exited (${w.exitCode ?? '?'})`;
  if (h === 'attention') return 'needs attention';
  return h;
}

const DOT: Record<WorkerHealth, string> = {
  starting: 'bg-ink-300',
  running: 'bg-run text-run/50 dot-live',
  idle: 'bg-idle',
  attention: 'bg-attn text-attn/60 dot-live',
  exited: 'bg-ink-500',
  failed: 'bg-dead',
};

const TEXT: Record<WorkerHealth, string> = {
  starting: 'text-ink-300',
  running: 'text-run',
  idle: 'text-idle',
  attention: 'text-attn',
  exited: 'text-ink-400',
  failed: 'text-dead',
};

/** Coloured dot for a worker's health. */
export function WorkerStatusDot({ worker }: { worker: Pick<WorkerInfo, 'status' | 'needsAttention' | 'exitCode' | 'signal'> }) {
  const h = healthOf(worker);
  return <span className={`inline-block h-2 w-2 shrink-0 rounded-full ${DOT[h]}`} title={healthLabel(worker)} />;
}

/** Dot plus words, as shown in a terminal header. */
export function WorkerStatusBadge({ worker, testId }: { worker: WorkerInfo; testId?: string }) {
  const h = healthOf(worker);
  return (
    <span
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-full border border-ink-700 bg-ink-850 px-2 py-0.5 text-[11px] font-medium ${TEXT[h]}`}
      data-testid={testId}
      data-health={h}
    >
      <WorkerStatusDot worker={worker} />
      <span className="hidden whitespace-nowrap @sm:inline">{healthLabel(worker)}</span>
    </span>
  );
}

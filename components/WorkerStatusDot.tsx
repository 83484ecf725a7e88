import type { WorkerInfo } from '../lib/protocol/workers';

export type WorkerHealth = 'starting' | 'running' | 'idle' | 'attention' | 'exited' | 'failed';

type HealthFields = Pick<WorkerInfo, 'status' | 'needsAttention' | 'attentionReason' | 'exitCode' | 'signal' | 'lost' | 'released'>;

/**
 * One word for what a worker is doing. Attention means a person is needed (an agent profile saw a
 * dialog or a question), never merely quiet: a shell at its prompt is idle. An ending is a failure
 * only when it was not asked for: a release is an ordinary end, whatever signal carried it out.
 */
export function healthOf(w: HealthFields): WorkerHealth {
  if (w.status === 'exited') {
    if (w.released) return 'exited';
    return (w.exitCode ?? 0) === 0 && !w.signal && !w.lost ? 'exited' : 'failed';
  }
  if (w.needsAttention) return 'attention';
  return w.status;
}

export function healthLabel(w: HealthFields): string {
  const h = healthOf(w);
  // Its relay stopped without releasing it; the next start ended what was left (WorkerInfo.lost).
  if (w.status === 'exited' && w.lost) return 'lost';
  if (w.status === 'exited' && w.released) return 'released';
  if (h === 'exited' || h === 'failed') return w.signal ? `exited (${w.signal})` : `exited (${w.exitCode ?? '?'})`;
  if (h === 'attention') return 'needs attention';
  return h;
}

/** The sentence behind the badge: what a person is needed for, or how it ended. */
export function healthTitle(w: HealthFields): string {
  if (w.status !== 'exited' && w.needsAttention && w.attentionReason) return w.attentionReason;
  return healthLabel(w);
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
export function WorkerStatusDot({ worker }: { worker: HealthFields }) {
  const h = healthOf(worker);
  return <span className={`inline-block h-2 w-2 shrink-0 rounded-full ${DOT[h]}`} title={healthTitle(worker)} />;
}

/** Dot plus words, as shown in a terminal header. */
export function WorkerStatusBadge({ worker, testId }: { worker: WorkerInfo; testId?: string }) {
  const h = healthOf(worker);
  return (
    <span
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-full border border-ink-700 bg-ink-850 px-1 py-0.5 text-[11px] @xs:px-2 font-medium ${TEXT[h]}`}
      data-testid={testId}
      data-health={h}
      title={healthTitle(worker)}
    >
      <WorkerStatusDot worker={worker} />
      <span className="hidden whitespace-nowrap @sm:inline">{healthLabel(worker)}</span>
    </span>
  );
}

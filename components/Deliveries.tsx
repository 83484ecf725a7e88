'use client';
import { useState } from 'react';
import { apiFetch } from '../client/api';
import type { InjectAction, InjectionState, WorkerInfo } from '../lib/protocol/workers';
import { InboxIcon } from './Icons';

/**
 * The pane's Deliveries menu: how relay messages are typed into this worker. A person steering an
 * agent holds them (they queue, in order, unacknowledged), flushes what is held when ready, or goes
 * back to auto. The header button shows the held count; the strip under the header has the switch
 * and says why the next message waits (a person typing, a dialog, the agent busy).
 */

const BTN =
  'rounded border border-ink-700 bg-ink-850 px-1 py-0.5 @xs:px-2 text-[11px] font-medium text-ink-300 transition hover:border-ink-500 hover:text-ink-100 disabled:opacity-40';

/** The header button: an inbox, with the held count (or the waiting count) beside it. */
export function DeliveriesButton({ worker, open, onToggle }: { worker: WorkerInfo; open: boolean; onToggle: () => void }) {
  const s = worker.injection;
  const held = s?.mode === 'hold';
  const waiting = !held && s?.waiting ? s.pending : 0;
  const title = held
    ? `Deliveries held: ${s!.held} message(s) wait. Open to flush or resume.`
    : s?.waiting
      ? `${s.pending} input(s) wait: ${s.waiting.reason}`
      : 'Deliveries: messages are typed in when the worker is ready. Open to hold them while you steer.';
  return (
    <button
      type="button"
      className={`${BTN} inline-flex items-center gap-1 ${held ? '!border-idle/60 !text-idle' : ''} ${open ? '!border-accent/50' : ''}`}
      onClick={onToggle}
      aria-expanded={open}
      aria-label="Deliveries"
      title={title}
      data-testid={`inject-menu-${worker.name}`}
      data-mode={s?.mode ?? 'auto'}
    >
      <InboxIcon className="h-3 w-3" />
      {held && (
        <span className="font-mono" data-testid={`held-count-${worker.name}`}>
          {s!.held}
        </span>
      )}
      {waiting > 0 && (
        <span className="font-mono text-attn" data-testid={`waiting-count-${worker.name}`}>
          {waiting}
        </span>
      )}
    </button>
  );
}

function describe(s: InjectionState | undefined): string {
  if (!s) return 'Messages are typed in when the worker is ready.';
  if (s.mode === 'hold') {
    const n = s.held;
    return n === 0 ? 'Holding: new messages wait here until you flush or resume.' : `Holding ${n} message${n === 1 ? '' : 's'}: flush types them one at a time, each when the worker is ready.`;
  }
  if (s.waiting) return `${s.pending} waiting: ${s.waiting.reason}`;
  if (s.pending > 0) return `${s.pending} being typed in.`;
  return 'Auto: messages are typed in when the worker is at its prompt and nobody is typing.';
}

/** The strip under the header: Hold / Flush N / Auto, and what waits and why. */
export function DeliveriesBar({ worker }: { worker: WorkerInfo }) {
  const name = worker.name;
  const s = worker.injection;
  const mode = s?.mode ?? 'auto';
  const [busy, setBusy] = useState<InjectAction | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function set(action: InjectAction) {
    setBusy(action);
    setError(null);
    try {
      await apiFetch(`/api/workers/${encodeURIComponent(name)}/inject`, { method: 'POST', json: { mode: action } });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div
      className="flex shrink-0 flex-wrap items-center gap-1.5 border-b border-ink-700/80 bg-ink-850 px-2.5 py-1 text-[11px] text-ink-300"
      data-testid={`deliveries-${name}`}
      role="group"
      aria-label={`Deliveries to ${name}`}
    >
      <span className="font-medium text-ink-400">Deliveries</span>
      <button
        type="button"
        className={`${BTN} ${mode === 'hold' ? '!border-idle/60 !text-idle' : ''}`}
        onClick={() => void set('hold')}
        disabled={mode === 'hold' || busy !== null}
        aria-pressed={mode === 'hold'}
        data-testid={`inject-hold-${name}`}
        title="Stop typing messages into this worker; they wait in order until you flush or resume"
      >
        Hold
      </button>
      <button
        type="button"
        className={BTN}
        onClick={() => void set('flush')}
        disabled={mode !== 'hold' || (s?.held ?? 0) === 0 || busy !== null}
        data-testid={`inject-flush-${name}`}
        title="Type the held messages now, one at a time, each when the worker is ready; keep holding new ones"
      >
        Flush{mode === 'hold' && s?.held ? ` ${s.held}` : ''}
      </button>
      <button
        type="button"
        className={`${BTN} ${mode === 'auto' ? '!border-accent/50 !text-accent' : ''}`}
        onClick={() => void set('auto')}
        disabled={mode === 'auto' || busy !== null}
        aria-pressed={mode === 'auto'}
        data-testid={`inject-auto-${name}`}
        title="Type messages in as soon as the worker is ready (releases anything held)"
      >
        Auto
      </button>
      <span className="min-w-0 flex-1 truncate text-ink-400" data-testid={`deliveries-state-${name}`} title={describe(s)}>
        {describe(s)}
      </span>
      {error && (
        <span className="w-full text-dead" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

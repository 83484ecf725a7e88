'use client';
import { useEffect, useRef, useState } from 'react';
import { formatClock } from '../client/format';
import { DASHBOARD_USER, displayName } from '../lib/protocol/names';
import type { StoredMessageView } from '../lib/protocol/queries';

/** Stable colour per agent name, so a conversation reads at a glance. */
const HUES = ['text-accent', 'text-idle', 'text-[#c084fc]', 'text-attn', 'text-run', 'text-[#f472b6]', 'text-[#fb923c]'];
export function agentColor(name: string): string {
  if (name === DASHBOARD_USER) return 'text-ink-100';
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return HUES[Math.abs(h) % HUES.length];
}

function AgentLink({ name, isWorker, onOpen }: { name: string; isWorker: boolean; onOpen: (name: string) => void }) {
  if (!isWorker) return <span className={`font-mono font-semibold ${agentColor(name)}`}>{name === '*' ? 'everyone' : displayName(name)}</span>;
  return (
    <button
      type="button"
      className={`font-mono font-semibold hover:underline ${agentColor(name)}`}
      onClick={() => onOpen(name)}
      title={`Open ${name}'s terminal`}
    >
      {name}
    </button>
  );
}

/**
 * Messages drawn until "Show N earlier messages". The timeline loads the last 200 (TIMELINE_LIMIT); as
 * rows in the server's HTML they were ~1.2 KB each, and 200 of them added ~700 ms to the first paint
 * (docs/performance.md, 22).
 */
export const TIMELINE_ROWS = 40;

/** Messages between agents, oldest first, newest at the bottom; names open their terminals. */
export function MessageTimeline({
  messages,
  workerNames,
  onOpenAgent,
  onReply,
}: {
  messages: StoredMessageView[];
  workerNames: Set<string>;
  onOpenAgent: (name: string) => void;
  onReply: (to: string, thread?: string) => void;
}) {
  const endRef = useRef<HTMLDivElement>(null);
  const [all, setAll] = useState(false);
  const earlier = all ? 0 : Math.max(0, messages.length - TIMELINE_ROWS);
  const shown = earlier ? messages.slice(earlier) : messages;
  const last = messages[messages.length - 1]?.id;
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' });
  }, [last]);

  return (
    <div className="min-h-0 flex-1 overflow-y-auto px-3 py-2" data-testid="message-timeline">
      {messages.length === 0 && (
        <p className="px-2 py-8 text-center text-xs leading-relaxed text-ink-500">
          No messages yet. Agents talk with <code className="font-mono text-ink-300">-&gt;relay:Name text</code>; you can
          write to any of them below.
        </p>
      )}
      {earlier > 0 && (
        <button
          type="button"
          onClick={() => setAll(true)}
          className="mb-1.5 w-full rounded-md px-2 py-1 text-center text-[11px] text-ink-400 transition hover:bg-ink-850 hover:text-ink-200"
          data-testid="earlier-messages"
        >
          Show {earlier} earlier message{earlier === 1 ? '' : 's'}
        </button>
      )}
      <ol className="space-y-1.5">
        {shown.map((m) => {
          const to = m.isBroadcast ? '*' : m.to;
          const mine = m.from === DASHBOARD_USER;
          return (
            <li
              key={m.id}
              className={`group rounded-lg border px-2.5 py-2 text-xs ${mine ? 'border-accent/20 bg-accent/[0.05]' : 'border-ink-700/70 bg-ink-850/80'}`}
              data-testid="message"
              data-from={m.from}
              data-to={to}
            >
              <div className="flex items-center gap-1.5 text-[11px]">
                <AgentLink name={m.from} isWorker={workerNames.has(m.from)} onOpen={onOpenAgent} />
                <span className="text-ink-500">→</span>
                <AgentLink name={to} isWorker={workerNames.has(to)} onOpen={onOpenAgent} />
                {m.thread && (
                  <span className="rounded bg-ink-700 px-1 font-mono text-[10px] text-ink-300" title="thread">
                    #{m.thread}
                  </span>
                )}
                <span className="ml-auto font-mono text-[10px] tabular-nums text-ink-500" suppressHydrationWarning>
                  {formatClock(m.timestamp)}
                </span>
              </div>
              <p className="mt-1 whitespace-pre-wrap break-words leading-relaxed text-ink-200">{m.body}</p>
              {!mine && (
                <button
                  type="button"
                  onClick={() => onReply(m.from, m.thread)}
                  className="mt-1 hidden text-[10px] text-ink-400 hover:text-accent group-hover:inline"
                >
                  Reply
                </button>
              )}
            </li>
          );
        })}
      </ol>
      <div ref={endRef} />
    </div>
  );
}

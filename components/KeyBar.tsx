'use client';
import { useState } from 'react';
import { getSession } from '../client/terminalSessions';

/**
 * Keys a phone keyboard lacks, for the focused terminal: Esc, a sticky Ctrl (the next key typed becomes
 * a control character), Tab, arrows and ^C. Buttons keep focus in the terminal (mousedown prevented).
 */
export function KeyBar({ worker }: { worker: string | null }) {
  const [ctrl, setCtrl] = useState(false);
  if (!worker) return null;
  const session = getSession(worker);
  const arrow = (final: string) => {
    // Full-screen programs switch the cursor keys to application mode (ESC O x instead of ESC [ x).
    const app = session.term?.modes.applicationCursorKeysMode;
    return `\x1b${app ? 'O' : '['}${final}`;
  };
  const keys: { label: string; send?: string; aria: string }[] = [
    { label: 'Esc', send: '\x1b', aria: 'Escape' },
    { label: 'Tab', send: '\t', aria: 'Tab' },
    { label: '←', send: 'D', aria: 'Left' },
    { label: '↑', send: 'A', aria: 'Up' },
    { label: '↓', send: 'B', aria: 'Down' },
    { label: '→', send: 'C', aria: 'Right' },
    { label: '^C', send: '\x03', aria: 'Interrupt' },
  ];
  const btn = 'min-w-[2.6rem] flex-1 rounded-md border border-ink-700 bg-ink-850 px-2 py-2 font-mono text-sm text-ink-200 active:bg-ink-700';
  return (
    <div className="flex shrink-0 gap-1 border-t border-ink-700 bg-ink-900 p-1.5" data-testid="key-bar">
      <button
        type="button"
        aria-pressed={ctrl}
        aria-label="Ctrl (applies to the next key)"
        className={`${btn} ${ctrl ? '!border-accent !bg-accent/15 !text-accent' : ''}`}
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => {
          const next = !ctrl;
          setCtrl(next);
          session.stickyCtrl = next;
          const off = session.subscribe(() => {
            if (!session.stickyCtrl) {
              setCtrl(false);
              off();
            }
          });
          session.focus();
        }}
      >
        Ctrl
      </button>
      {keys.map((k) => (
        <button
          key={k.label}
          type="button"
          aria-label={k.aria}
          className={btn}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => {
            const data = k.send && k.send.length === 1 && /[A-D]/.test(k.send) ? arrow(k.send) : k.send!;
            session.sendInput(data);
            session.focus();
          }}
        >
          {k.label}
        </button>
      ))}
    </div>
  );
}

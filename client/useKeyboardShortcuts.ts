'use client';
import { useEffect, useRef } from 'react';

export interface ShortcutActions {
  spawn(): void;
  focusIndex(i: number): void;
  cycleLayout(): void;
  focusComposer(): void;
  drive(): void;
  focusTerminal(): void;
  help(): void;
  escape(): void;
}

function typingInField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

/**
 * Single-key shortcuts while no field has focus (a terminal's input is a textarea, so keys typed into a
 * terminal stay there); Alt+1–9 switches terminals from anywhere.
 */
export function useKeyboardShortcuts(actions: ShortcutActions): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = ref.current;
      if (e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-9]$/.test(e.code)) {
        e.preventDefault();
        a.focusIndex(Number(e.code.slice(5)) - 1);
        return;
      }
      if (e.key === 'Escape') {
        a.escape();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return;
      const handlers: Record<string, () => void> = {
        n: a.spawn,
        l: a.cycleLayout,
        '/': a.focusComposer,
        d: a.drive,
        t: a.focusTerminal,
        '?': a.help,
      };
      if (/^[1-9]$/.test(e.key)) {
        e.preventDefault();
        a.focusIndex(Number(e.key) - 1);
      } else if (handlers[e.key]) {
        e.preventDefault();
        handlers[e.key]();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

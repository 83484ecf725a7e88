'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { WorkerInfo } from '../protocol/workers';

const KEY = 'agent-relay.notifications';

function attentionKey(w: WorkerInfo): string | null {
  if (w.status === 'exited') return `exit:${w.exitCode ?? w.signal}`;
  if (w.needsAttention) return 'attention';
  return null;
}

/**
 * Browser notifications when a worker starts waiting for input or exits, only after the user opted in
 * (a click, then the browser's own permission prompt). The tab title carries the attention count.
 */
export function useAttentionNotifications(workers: WorkerInfo[]) {
  const [enabled, setEnabled] = useState(false);
  // Known only in the browser; false in the first render so it matches the server's HTML.
  const [supported, setSupported] = useState(false);
  const seen = useRef(new Map<string, string | null>());
  const primed = useRef(false);

  useEffect(() => {
    setSupported(typeof Notification !== 'undefined');
    setEnabled(typeof Notification !== 'undefined' && Notification.permission === 'granted' && localStorage.getItem(KEY) === '1');
  }, []);

  useEffect(() => {
    const count = workers.filter((w) =>
      w.status === 'exited' ? (w.exitCode ?? 0) !== 0 || Boolean(w.signal) : Boolean(w.needsAttention),
    ).length;
    document.title = count > 0 ? `(${count}) agent-relay` : 'agent-relay';
    for (const w of workers) {
      const key = attentionKey(w);
      const before = seen.current.get(w.name);
      seen.current.set(w.name, key);
      // The first list is history, not news.
      if (!primed.current || key === null || key === before) continue;
      if (enabled && document.hidden) {
        const body = key === 'attention' ? `${w.name} is waiting for input.` : `${w.name} exited (${w.exitCode ?? w.signal}).`;
        new Notification('agent-relay', { body, tag: `agent-relay-${w.name}` });
      }
    }
    primed.current = true;
  }, [workers, enabled]);

  const toggle = useCallback(async () => {
    if (typeof Notification === 'undefined') return;
    if (enabled) {
      localStorage.setItem(KEY, '0');
      setEnabled(false);
      return;
    }
    const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    const on = permission === 'granted';
    localStorage.setItem(KEY, on ? '1' : '0');
    setEnabled(on);
  }, [enabled]);

  return { enabled, toggle, supported };
}

'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { WorkerInfo } from '../lib/protocol/workers';

const KEY = 'agent-relay.notifications';

/**
 * What a notification would be about, or null when there is nothing to tell: a person is needed
 * (the server sets needsAttention when an agent waits for one, or when a worker ended abnormally
 * without being released). A quiet worker, a deliberate release and a clean exit are not news.
 */
export function attentionKey(w: WorkerInfo): string | null {
  if (!w.needsAttention) return null;
  return w.status === 'exited' ? `exit:${w.exitCode ?? w.signal}` : `attention:${w.attentionReason ?? ''}`;
}

function notificationBody(w: WorkerInfo): string {
  if (w.status === 'exited') return `${w.name} exited (${w.signal ?? `code ${w.exitCode ?? '?'}`}).`;
  return w.attentionReason ? `${w.name}: ${w.attentionReason}` : `${w.name} needs you.`;
}

/**
 * Browser notifications when a worker needs a person (waits for one, or ended abnormally), only after the user opted in
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
    const count = workers.filter((w) => attentionKey(w) !== null).length;
    document.title = count > 0 ? `(${count}) agent-relay` : 'agent-relay';
    for (const w of workers) {
      const key = attentionKey(w);
      const before = seen.current.get(w.name);
      seen.current.set(w.name, key);
      // The first list is history, not news.
      if (!primed.current || key === null || key === before) continue;
      if (enabled && document.hidden) {
        new Notification('agent-relay', { body: notificationBody(w), tag: `agent-relay-${w.name}` });
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

'use client';
import { createContext, useContext, useEffect, useState } from 'react';

/**
 * The server's clock at render time, when the page was rendered with data. The first client render
 * must draw the same uptimes as the HTML (or React discards the server's markup), so it starts from
 * this value and switches to the local clock in an effect.
 */
export const RenderClock = createContext<number | null>(null);

/** The current time, refreshed every `intervalMs` (for uptimes; purely local, never a server poll). */
export function useNow(intervalMs = 1000): number {
  const renderedAt = useContext(RenderClock);
  const [now, setNow] = useState(() => renderedAt ?? Date.now());
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

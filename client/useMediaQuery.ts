'use client';
import { useSyncExternalStore } from 'react';

/**
 * Whether a CSS media query matches. The server cannot know, so server rendering and hydration use
 * `serverGuess` (false unless the caller has a hint), and the real answer follows right after.
 */
export function useMediaQuery(query: string, serverGuess = false): boolean {
  return useSyncExternalStore(
    (cb) => {
      const mql = window.matchMedia(query);
      mql.addEventListener('change', cb);
      return () => mql.removeEventListener('change', cb);
    },
    () => window.matchMedia(query).matches,
    () => serverGuess,
  );
}

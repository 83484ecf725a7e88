'use client';
/**
 * `performance.mark('agent-relay:<step>')` the first time each step of the page's start happens (scripts
 * running, socket connected, xterm loaded, first attach, first snapshot drawn), so where the time to the
 * first terminal goes can be read in DevTools or with `performance.getEntriesByType('mark')`.
 */
const seen = new Set<string>();

export function markOnce(step: string): void {
  if (seen.has(step) || typeof performance === 'undefined') return;
  seen.add(step);
  performance.mark(`agent-relay:${step}`);
}

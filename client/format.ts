/** Small display helpers shared by the dashboard views. */

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatClock(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/**
 * What a worker's log is missing (WorkerInfo.logGaps), in the words the user needs: the byte it
 * is incomplete from and why; once writing resumed, which bytes are not in it.
 */
export function describeLogGaps(gaps: { from: number; to: number | null; reason: string }[]): string {
  const first = gaps[0];
  const more = gaps.length > 1 ? ` (and ${gaps.length - 1} more gap${gaps.length > 2 ? 's' : ''})` : '';
  if (first.to === null) return `Output log incomplete from byte ${first.from} (${first.reason}); live output goes on, the log resumes when it can${more}.`;
  return `Output log incomplete: bytes ${first.from}–${first.to} are missing (${first.reason}); it was written again from byte ${first.to}${more}.`;
}

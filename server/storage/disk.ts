import { statfsSync } from 'node:fs';

/**
 * Free and total space of the filesystem holding `path` (the data directory: the database and the
 * output logs), as an unprivileged process may use it. Undefined where statfs is unavailable.
 */
export function diskSpace(path: string): { path: string; freeBytes: number; totalBytes: number } | undefined {
  try {
    const s = statfsSync(path);
    return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

/** 1.5 GiB, 20.0 MiB, 512 B: for people. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

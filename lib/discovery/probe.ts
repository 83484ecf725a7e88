import { statSync } from 'node:fs';
import { createConnection } from 'node:net';

/** How long a probe waits for a connection before calling the socket dead. A local socket answers in well under this. */
export const PROBE_TIMEOUT_MS = 500;

/** True when `path` exists and is a Unix socket (it may still be stale). */
export function isSocketFile(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Connects to the socket and hangs up at once: true when something accepts connections there. */
export function probeSocket(path: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

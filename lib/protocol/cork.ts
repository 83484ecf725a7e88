import type { Writable } from 'node:stream';

/**
 * Coalesces the frames written to a socket in one tick: the first write of a tick corks the
 * socket and a nextTick uncorks it, so a burst of frames leaves in one writev syscall instead of
 * one write each. Used by the daemon's connections and by lib/sdk. Not exported from
 * lib/protocol/index.ts, which browser code imports.
 */
export class TickCork {
  private corked = false;

  constructor(private readonly socket: Writable) {}

  /** Queues `frame` for the end of the tick. Returns what `socket.write` returns (false: above its high-water mark). */
  write(frame: Buffer): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    return this.socket.write(frame);
  }

  /** Sends what is held now (before `socket.end()`), instead of at the end of the tick. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
}

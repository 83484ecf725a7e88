import { createConnection, type Socket } from 'node:net';
import { encodeFrame, FrameParser, type ParsedFrame } from '../protocol';
import { TickCork } from '../protocol/cork';

/**
 * One framed socket connection. Writes made in the same tick are coalesced (TickCork), so a burst
 * of sends becomes one write syscall.
 */
export class FramedConnection {
  private readonly parser = new FrameParser();
  private readonly cork: TickCork;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    onFrame: (frame: ParsedFrame) => void,
    onClose: (error?: Error) => void,
  ) {
    this.cork = new TickCork(socket);
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      let frames: ParsedFrame[];
      try {
        frames = this.parser.push(chunk);
      } catch (err) {
        lastError = err as Error;
        socket.destroy();
        return;
      }
      for (const frame of frames) onFrame(frame);
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      this.closed = true;
      onClose(lastError);
    });
  }

  /** Resolves once connected; rejects with the socket error (ENOENT, ECONNREFUSED, timeout). */
  static open(
    path: string,
    timeoutMs: number,
    onFrame: (frame: ParsedFrame) => void,
    onClose: (error?: Error) => void,
  ): Promise<FramedConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`Timed out connecting to ${path}`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setNoDelay(true);
        resolve(new FramedConnection(socket, onFrame, onClose));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Queues one envelope; false when the connection is closed. Throws FrameError when it is too large. */
  write(envelope: unknown): boolean {
    if (!this.isOpen) return false;
    this.cork.write(encodeFrame(envelope));
    return true;
  }

  /** Flushes what is queued, then closes. */
  end(): void {
    if (this.closed) return;
    this.cork.flush();
    this.socket.end();
    // A daemon that never closes its side must not keep us alive.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

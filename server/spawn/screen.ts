import xtermHeadless from '@xterm/headless';
import { SerializeAddon } from '@xterm/addon-serialize';
import type { ScreenSnapshot } from './types';

const { Terminal } = xtermHeadless;

/** Lines of history kept in the headless terminal (and so in a snapshot). */
const SCROLLBACK_LINES = 1000;
/**
 * Flow control between the PTY and the headless parser: xterm parses asynchronously, so if output
 * arrives faster than it parses, bytes queue in its write buffer. Above HIGH_WATER unparsed bytes
 * the worker pauses its PTY; below LOW_WATER it resumes. The PTY buffer then holds the child back.
 */
export const SCREEN_HIGH_WATER = 4 * 1024 * 1024;
export const SCREEN_LOW_WATER = 512 * 1024;

/**
 * The worker's current screen. `parsed` counts the bytes xterm has actually parsed (from its write
 * callbacks), so a snapshot's offset is exactly where live output must continue.
 */
export class HeadlessScreen {
  private readonly term: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private received = 0;
  private parsed = 0;
  private disposed = false;
  private paused = false;

  constructor(
    cols: number,
    rows: number,
    private readonly onBacklog?: (over: boolean) => void,
    startOffset = 0,
  ) {
    this.term = new Terminal({ cols, rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true });
    this.term.loadAddon(this.serializer);
    this.received = startOffset;
    this.parsed = startOffset;
  }

  write(chunk: Buffer): void {
    if (this.disposed) return;
    this.received += chunk.length;
    this.term.write(chunk, () => {
      this.parsed += chunk.length;
      if (this.paused && this.received - this.parsed < SCREEN_LOW_WATER) {
        this.paused = false;
        this.onBacklog?.(false);
      }
    });
    if (!this.paused && this.onBacklog && this.received - this.parsed > SCREEN_HIGH_WATER) {
      this.paused = true;
      this.onBacklog(true);
    }
  }

  get backlog(): number {
    return this.received - this.parsed;
  }

  resize(cols: number, rows: number): void {
    if (!this.disposed) this.term.resize(cols, rows);
  }

  /** Waits until everything written so far is parsed, then serializes at exactly that offset. */
  snapshot(): Promise<ScreenSnapshot> {
    if (this.disposed) return Promise.resolve({ data: '', offset: this.parsed, cols: this.term.cols, rows: this.term.rows });
    return new Promise((resolve) => {
      this.term.write('', () => {
        // Synchronous with the callback: no chunk can be parsed between reading these two.
        resolve({ data: this.serializer.serialize(), offset: this.parsed, cols: this.term.cols, rows: this.term.rows });
      });
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.term.dispose();
  }
}

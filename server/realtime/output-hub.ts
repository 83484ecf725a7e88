import type { SnapshotEvent } from '../../lib/realtime/events';
import { FlowControl } from '../../lib/realtime/flow-control';
import type { Logger } from '../logger';
import type { SpawnManagerApi } from '../spawn/types';

/**
 * Fans each worker's output out to its viewers, with per-viewer flow control.
 *
 * Every viewer has two offsets: `sent` (the next byte it will get) and `acked` (what xterm has
 * rendered). Live frames go to a viewer only while `sent - acked` is under the high-water mark and
 * its transport is not backed up; otherwise it simply stops getting frames and falls behind. Nothing
 * is buffered for it: once it acks down to the low-water mark, it catches up from the SpawnManager's
 * retained output (readOutput), or, when it is more than MAX_CATCHUP_BYTES behind, from a fresh
 * screen snapshot. The PTY is never paused for a viewer (only while the worker's own headless screen
 * is behind, server/spawn/screen.ts), so one slow tab cannot stall the agent or other viewers,
 * and server memory per viewer is bounded by the constants, not by how slow the viewer is.
 */

export interface ViewerSink {
  /** Unique per connection (the socket id). */
  readonly id: string;
  /** True while the connection's transport has too much queued to take more. */
  transportFull(): boolean;
  sendOutput(name: string, start: number, data: Uint8Array): void;
  sendSnapshot(snapshot: SnapshotEvent): void;
}

interface Viewer {
  sink: ViewerSink;
  sent: number;
  acked: number;
  /** How fast this viewer acknowledges (bytes/s, smoothed): how fast it can catch up. */
  ackRate: number;
  lastAckAt: number;
  /** An async catch-up (read or snapshot) is in flight: live frames skip this viewer meanwhile. */
  busy: boolean;
}

interface Stream {
  name: string;
  /** End of the output already framed and offered to viewers. */
  flushedEnd: number;
  pending: Buffer[];
  pendingSize: number;
  /** Bytes seen in the current coalescing window (the timer's lifetime). */
  windowBytes: number;
  timer: NodeJS.Timeout | undefined;
  viewers: Map<string, Viewer>;
}

export interface ViewerStats {
  name: string;
  viewer: string;
  sent: number;
  acked: number;
  unacked: number;
  behind: number;
}

export type AttachMode = 'bytes' | 'snapshot';

const GAP = Symbol('output gap');
/** readOutput's OUTPUT_GAP (bytes the log lost while the disk was full) as a value; other errors stay errors. */
function unlessGap(err: unknown): typeof GAP {
  if ((err as { code?: unknown })?.code === 'OUTPUT_GAP') return GAP;
  throw err;
}

export class OutputHub {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly spawnManager: SpawnManagerApi,
    private readonly log: Logger,
  ) {}

  /** SpawnManager 'output' listener. */
  onOutput(name: string, chunk: Buffer, start: number): void {
    // No frame is larger than FRAME_MAX_BYTES: a viewer's unacked bytes are bounded by the high-water
    // mark plus one frame. A read larger than that (a loaded machine drains the PTY in big reads) is
    // split, and a chunk that would push the pending frame past it sends the pending one first
    // (before: a frame of up to FRAME_MAX + one read; the bound was once exceeded by 329 bytes at load 30).
    if (chunk.length > FlowControl.FRAME_MAX_BYTES) {
      for (let off = 0; off < chunk.length; off += FlowControl.FRAME_MAX_BYTES) {
        this.onOutput(name, chunk.subarray(off, off + FlowControl.FRAME_MAX_BYTES), start + off);
      }
      return;
    }
    // Every worker's end offset is tracked, watched or not, so an attach decides from exact numbers.
    const stream = this.streams.get(name) ?? this.createStream(name, start);
    if (stream.viewers.size === 0) {
      // Nobody watches: nothing to frame. Pending bytes left by the last viewer go too, so the
      // next frame cannot start at a stale offset.
      stream.pending = [];
      stream.pendingSize = 0;
      stream.flushedEnd = start + chunk.length;
      return;
    }
    if (stream.pendingSize > 0 && (start !== stream.flushedEnd + stream.pendingSize || stream.pendingSize + chunk.length > FlowControl.FRAME_MAX_BYTES)) this.flush(stream);
    if (stream.pendingSize === 0 && start !== stream.flushedEnd) stream.flushedEnd = start;
    stream.pending.push(chunk);
    stream.pendingSize += chunk.length;
    // Coalescing (as in xterm.js's demo server): a busy agent writes many tiny chunks (a spinner
    // frame, one line); a socket.io packet and an xterm write per chunk cost far more than the bytes.
    // But typing must not wait: within each COALESCE_MS window the first COALESCE_AFTER_BYTES go out
    // at once, chunk by chunk (a keystroke's echo), and only a stream busier than that (a flood) is
    // merged into frames. Delaying every chunk added COALESCE_MS to each echo (docs/performance.md).
    stream.windowBytes += chunk.length;
    if (stream.pendingSize >= FlowControl.FRAME_MAX_BYTES || stream.windowBytes <= FlowControl.COALESCE_AFTER_BYTES) this.flush(stream);
    stream.timer ??= setTimeout(() => {
      stream.timer = undefined;
      stream.windowBytes = 0;
      this.flush(stream);
    }, FlowControl.COALESCE_MS);
  }

  /** Send what is pending now (before a worker's exit is announced, so output precedes it). */
  flushWorker(name: string): void {
    const stream = this.streams.get(name);
    if (stream) this.flush(stream);
  }

  /** Forget a removed worker. */
  dropWorker(name: string): void {
    const stream = this.streams.get(name);
    if (!stream) return;
    if (stream.timer) clearTimeout(stream.timer);
    this.streams.delete(name);
    if (stream.viewers.size > 0) this.spawnManager.watchOutput?.(name, false);
  }

  /**
   * Start streaming `name` to `sink`. With `since` inside what can be replayed, the missing bytes
   * follow as frames ('bytes'); otherwise a snapshot ('snapshot'). `announce` runs before the first
   * frame or snapshot is sent (the attach reply), so the client knows whether a reset comes.
   */
  async attach(name: string, sink: ViewerSink, since: number | undefined, announce: (mode: AttachMode) => void): Promise<void> {
    const stream = this.streams.get(name) ?? this.createStream(name, this.spawnManager.getWorker(name)?.outputBytes ?? 0);
    const viewer: Viewer = { sink, sent: 0, acked: 0, ackRate: 0, lastAckAt: performance.now(), busy: true };
    stream.viewers.set(sink.id, viewer);
    // A worker on another node streams only while watched (server/cluster); before the first read, so no chunk falls between.
    if (stream.viewers.size === 1) this.spawnManager.watchOutput?.(name, true);
    try {
      let mode: AttachMode = 'snapshot';
      if (since !== undefined && since <= stream.flushedEnd && stream.flushedEnd - since <= FlowControl.MAX_CATCHUP_BYTES) {
        const want = Math.min(stream.flushedEnd - since, FlowControl.FRAME_MAX_BYTES);
        // Bytes the log lost (disk full) cannot be replayed: the viewer gets the screen instead.
        const slice = want > 0 ? await this.spawnManager.readOutput(name, since, want).catch(unlessGap) : undefined;
        if (slice !== GAP && (!slice || slice.start === since)) {
          mode = 'bytes';
          viewer.sent = viewer.acked = since;
          announce(mode);
          if (slice && this.alive(stream, viewer)) this.emitBytes(viewer, name, slice.start, slice.data.subarray(0, want));
        }
      }
      if (mode === 'snapshot') {
        announce(mode);
        await this.sendSnapshot(stream, viewer);
      }
    } finally {
      viewer.busy = false;
    }
    if (this.alive(stream, viewer)) void this.pump(stream, viewer);
  }

  detach(name: string, sinkId: string): void {
    const stream = this.streams.get(name);
    if (stream?.viewers.delete(sinkId) && stream.viewers.size === 0) this.spawnManager.watchOutput?.(name, false);
  }

  detachAll(sinkId: string): void {
    for (const stream of this.streams.values()) {
      if (stream.viewers.delete(sinkId) && stream.viewers.size === 0) this.spawnManager.watchOutput?.(stream.name, false);
    }
  }

  isAttached(name: string, sinkId: string): boolean {
    return this.streams.get(name)?.viewers.has(sinkId) ?? false;
  }

  /** The viewer has rendered everything before `offset`. */
  ack(name: string, sinkId: string, offset: number): void {
    const stream = this.streams.get(name);
    const viewer = stream?.viewers.get(sinkId);
    if (!stream || !viewer) return;
    // Clamped to what was sent: an ack cannot open the window for bytes the viewer never got.
    const acked = Math.max(viewer.acked, Math.min(offset, viewer.sent));
    if (acked > viewer.acked) {
      const now = performance.now();
      const rate = ((acked - viewer.acked) * 1000) / Math.max(1, now - viewer.lastAckAt);
      viewer.ackRate = viewer.ackRate === 0 ? rate : viewer.ackRate * 0.7 + rate * 0.3;
      viewer.lastAckAt = now;
    }
    viewer.acked = acked;
    void this.pump(stream, viewer);
  }

  /** The connection's transport drained: viewers stopped by it may continue. */
  drained(sinkId: string): void {
    for (const stream of this.streams.values()) {
      const viewer = stream.viewers.get(sinkId);
      if (viewer) void this.pump(stream, viewer);
    }
  }

  stats(): ViewerStats[] {
    const out: ViewerStats[] = [];
    for (const stream of this.streams.values()) {
      for (const [id, v] of stream.viewers) {
        out.push({ name: stream.name, viewer: id, sent: v.sent, acked: v.acked, unacked: v.sent - v.acked, behind: Math.max(0, stream.flushedEnd - v.sent) });
      }
    }
    return out;
  }

  /** Bytes held in coalescing buffers (bounded by FRAME_MAX_BYTES per worker). */
  pendingBytes(): number {
    let total = 0;
    for (const stream of this.streams.values()) total += stream.pendingSize;
    return total;
  }

  close(): void {
    for (const stream of this.streams.values()) if (stream.timer) clearTimeout(stream.timer);
    this.streams.clear();
  }

  /** Send what is pending. The coalescing window (stream.timer) stays open: it closes on its own. */
  private createStream(name: string, flushedEnd: number): Stream {
    const stream: Stream = { name, flushedEnd, pending: [], pendingSize: 0, windowBytes: 0, timer: undefined, viewers: new Map() };
    this.streams.set(name, stream);
    return stream;
  }

  private flush(stream: Stream): void {
    if (stream.pendingSize === 0) return;
    const data = stream.pending.length === 1 ? stream.pending[0] : Buffer.concat(stream.pending, stream.pendingSize);
    const start = stream.flushedEnd;
    const end = start + data.length;
    stream.pending = [];
    stream.pendingSize = 0;
    stream.flushedEnd = end;
    for (const viewer of stream.viewers.values()) {
      if (viewer.busy || viewer.sent >= end) continue;
      if (viewer.sent < start) {
        void this.pump(stream, viewer);
        continue;
      }
      if (this.canSendLive(viewer)) this.emitBytes(viewer, stream.name, viewer.sent, data.subarray(viewer.sent - start));
      // else: the viewer falls behind here; nothing is kept for it (see the class comment).
    }
  }

  /** Catch a behind viewer up, from retained bytes or a snapshot, while its window allows. */
  private async pump(stream: Stream, viewer: Viewer): Promise<void> {
    if (viewer.busy || viewer.sent >= stream.flushedEnd || !this.canResume(viewer)) return;
    viewer.busy = true;
    let snapshotted = false;
    try {
      while (this.alive(stream, viewer) && viewer.sent < stream.flushedEnd && this.canSendLive(viewer)) {
        const gap = stream.flushedEnd - viewer.sent;
        // One snapshot per catch-up: if the screen itself lags far behind, replay bytes after it.
        if (gap > this.catchUpLimit(viewer) && !snapshotted) {
          await this.sendSnapshot(stream, viewer);
          snapshotted = true;
          continue;
        }
        const want = Math.min(gap, FlowControl.FRAME_MAX_BYTES);
        const slice = await this.spawnManager.readOutput(stream.name, viewer.sent, want).catch(unlessGap);
        if (!this.alive(stream, viewer)) return;
        if (slice === GAP || slice.start > viewer.sent) {
          if (snapshotted) return;
          await this.sendSnapshot(stream, viewer);
          snapshotted = true;
          continue;
        }
        const data = slice.data.subarray(viewer.sent - slice.start, viewer.sent - slice.start + want);
        if (data.length === 0) return;
        this.emitBytes(viewer, stream.name, viewer.sent, data);
      }
    } catch (err) {
      this.log.warn({ err, worker: stream.name, viewer: viewer.sink.id }, 'realtime: catch-up failed');
    } finally {
      viewer.busy = false;
    }
  }

  private async sendSnapshot(stream: Stream, viewer: Viewer): Promise<void> {
    const snapshot = await this.spawnManager.snapshot(stream.name);
    if (!this.alive(stream, viewer)) return;
    viewer.sink.sendSnapshot({ name: stream.name, ...snapshot });
    // The screen replaces everything before `offset`: the window restarts there.
    viewer.sent = viewer.acked = snapshot.offset;
  }

  private emitBytes(viewer: Viewer, name: string, start: number, data: Uint8Array): void {
    viewer.sink.sendOutput(name, start, data);
    viewer.sent = start + data.length;
  }

  private alive(stream: Stream, viewer: Viewer): boolean {
    return this.streams.get(stream.name) === stream && stream.viewers.get(viewer.sink.id) === viewer;
  }

  /**
   * How far behind a viewer may be and still be sent the bytes rather than a snapshot: what it
   * renders in CATCHUP_SECONDS at its own measured pace, between MAX_CATCHUP_BYTES and
   * MAX_CATCHUP_FAST_BYTES. A slow tab is snapshotted as before; a fast reader that was stopped for a
   * moment (a busy machine) replays from the ring or the log and loses nothing (docs/performance.md).
   */
  private catchUpLimit(viewer: Viewer): number {
    const byPace = viewer.ackRate * FlowControl.CATCHUP_SECONDS;
    return Math.min(FlowControl.MAX_CATCHUP_FAST_BYTES, Math.max(FlowControl.MAX_CATCHUP_BYTES, byPace));
  }

  private canSendLive(viewer: Viewer): boolean {
    return viewer.sent - viewer.acked < FlowControl.HIGH_WATER_BYTES && !viewer.sink.transportFull();
  }

  private canResume(viewer: Viewer): boolean {
    return viewer.sent - viewer.acked <= FlowControl.LOW_WATER_BYTES && !viewer.sink.transportFull();
  }
}

/**
 * Terminal output flow control between server/realtime and the dashboard's xterm views, in one place
 * (after VS Code's FlowControlConstants). docs/decisions/0002-streaming-and-flow-control.md explains them.
 *
 * socket.io has no backpressure: a viewer slower than the PTY grows server memory without bound
 * (measured here: 60 → 690 MB during a 270 MB flood). So every viewer acknowledges what xterm has
 * rendered, and the server stops sending to a viewer that is too far behind — it never buffers for
 * it and never pauses the PTY, which other viewers and the agent itself depend on.
 */
export const FlowControl = {
  /**
   * Unacknowledged bytes after which the server stops sending live output to a viewer: enough to
   * hide ack latency, small enough that 32 viewers cost at most ~64 MiB. A viewer's throughput is at
   * most this window per ack round trip; at 512 KiB and the ~10-15 ms round trips of a loaded
   * 2-core machine it capped a viewer below the agent's rate during floods, so it fell behind and
   * was snapshotted although it kept up (docs/performance.md).
   */
  HIGH_WATER_BYTES: 2 * 1024 * 1024,
  /**
   * A stopped viewer resumes once its unacknowledged bytes fall to this. Below HIGH_WATER so one
   * ack does not flip a viewer between stopped and sending on every frame.
   */
  LOW_WATER_BYTES: 512 * 1024,
  /**
   * The client acks at least every ACK_BYTES rendered and whenever its write queue drains. Must not
   * exceed LOW_WATER_BYTES: a stopped viewer holding fewer than ACK_BYTES unacked would otherwise
   * never ack, and never resume.
   */
  ACK_BYTES: 32 * 1024,
  /**
   * A viewer further behind than this (on resume or on reattach with `since`) gets a fresh screen
   * snapshot instead of the bytes: replaying megabytes of history to draw one screen is slower than
   * the snapshot, and reading them would cost server memory. As large as the SpawnManager's ring
   * (RING_BYTES), so catching up never reads the log file: at 1 MiB, a viewer that keeps up but was
   * descheduled for ~20 ms during a 60 MB/s flood was moved to a snapshot (docs/performance.md).
   */
  MAX_CATCHUP_BYTES: 4 * 1024 * 1024,
  /**
   * A viewer that acknowledges fast may be further behind than MAX_CATCHUP_BYTES and still get the
   * bytes: up to what it renders in CATCHUP_SECONDS at its measured pace, at most this. Bytes older
   * than the ring are read from the log, FRAME_MAX_BYTES at a time, so memory stays bounded.
   */
  MAX_CATCHUP_FAST_BYTES: 16 * 1024 * 1024,
  CATCHUP_SECONDS: 1,
  /** Small PTY chunks are coalesced per worker for up to this long into one frame. */
  COALESCE_MS: 4,
  /**
   * ...but only once a window has seen more than this many bytes: below it (typing, a prompt) each
   * chunk is sent at once, so an echo never waits for the window.
   */
  COALESCE_AFTER_BYTES: 2048,
  /** ...or until this many bytes are pending, whichever comes first. Also the largest catch-up frame. */
  FRAME_MAX_BYTES: 64 * 1024,
  /**
   * Secondary bound: engine.io packets queued on a viewer's transport (socket.conn.writeBuffer)
   * beyond which nothing more is sent until it drains. Catches a stalled TCP connection whose
   * client cannot even ack.
   */
  MAX_TRANSPORT_PACKETS: 64,
} as const;

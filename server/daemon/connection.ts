import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  AckPayloadSchema, EnvelopeSchema, FrameError, FrameParser, HelloPayloadSchema, MAX_BODY_BYTES, MAX_FRAME_BYTES,
  MESSAGE_TYPES, PROTOCOL_VERSION, RESERVED_NAMES, SendPayloadSchema, UNSUPPORTED_TYPES, describeNameProblem, encodeFrame,
  type Envelope, type ErrorCode, type ParsedFrame, type SendPayload,
} from '../../lib/protocol';
import { TickCork } from '../../lib/protocol/cork';
import type { AgentFacts } from '../router/types';
import { logger } from '../logger';
import type { AckCallback, Endpoint } from '../router/endpoint';
import { RouterError } from '../router/types';
import { FATAL_CLOSE_GRACE_MS, OUTBOUND_HIGH_WATER_BYTES, type DaemonContext } from './context';
import { BadRequest, answerQuery, describeIssues, isQueryType } from './queries';
import { WORKER_REQUEST_TYPES, answerWorkerRequest } from './worker-requests';

const KNOWN_TYPES = new Set<string>(MESSAGE_TYPES);
const UNSUPPORTED = new Set<string>(UNSUPPORTED_TYPES);
const DAEMON_ONLY = new Set([
  'WELCOME', 'DELIVER', 'ERROR', 'BUSY', 'AGENT_READY', 'SPAWN_RESULT', 'RELEASE_RESULT', 'SEND_INPUT_RESULT', 'LIST_WORKERS_RESULT',
  'SET_INJECT_MODE_RESULT',
  'STATUS_RESPONSE', 'INBOX_RESPONSE', 'LIST_AGENTS_RESPONSE', 'LIST_CONNECTED_AGENTS_RESPONSE', 'MESSAGES_RESPONSE',
]);

type State = 'awaiting-hello' | 'active' | 'closing' | 'closed';

/** One socket client: framing, the handshake state machine, dispatch of its frames, flow control. */
export class Connection implements Endpoint {
  readonly kind = 'socket' as const;
  readonly connectedAt = Date.now();
  readonly seqs = new Map<string, number>();
  readonly inflight = new Set<string>();
  readonly topics = new Set<string>();
  name = '';
  entityType: 'agent' | 'user' = 'agent';
  sessionId = '';
  facts: AgentFacts = {};
  acks = true;
  /** Last time a frame arrived (PONG or anything else): the heartbeat's liveness signal. */
  lastHeardAt = Date.now();
  private state: State = 'awaiting-hello';
  private readonly parser = new FrameParser(MAX_FRAME_BYTES);
  private helloTimer: NodeJS.Timeout | undefined;
  private readonly cork: TickCork;
  private drainWaiters: (() => void)[] = [];
  /** Congested recipients this connection waits for before reading again. */
  private blockedOn = 0;
  private detached = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: DaemonContext,
    private readonly onClosed: (conn: Connection) => void,
  ) {
    this.cork = new TickCork(socket);
    this.helloTimer = setTimeout(() => this.close(), ctx.timings.helloTimeoutMs);
    this.helloTimer.unref();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => logger.debug({ err, agent: this.name }, 'socket error'));
    socket.on('close', () => this.onClose());
  }

  get closed(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  get active(): boolean {
    return this.state === 'active';
  }

  /** True while paused because a recipient it feeds is congested (it is alive, just not read). */
  get blocked(): boolean {
    return this.blockedOn > 0;
  }

  get congested(): boolean {
    return this.socket.writableLength >= OUTBOUND_HIGH_WATER_BYTES;
  }

  send(envelope: Envelope): boolean {
    if (this.closed || this.socket.destroyed) return false;
    let frame: Buffer;
    try {
      frame = encodeFrame(envelope);
    } catch (err) {
      logger.error({ err, type: envelope.type, agent: this.name }, 'could not encode an outbound frame');
      return false;
    }
    // Frames written in one tick leave in one writev.
    this.cork.write(frame);
    return !this.congested;
  }

  /** Written now; re-sent by the router until this client ACKs it, unless it said it never ACKs (HELLO capabilities.ack). */
  deliver(envelope: Envelope<SendPayload>, onAck: AckCallback): void {
    this.send(envelope);
    if (this.acks) this.ctx.router.redeliverUntilAcked(this, envelope, onAck);
  }

  onceDrained(callback: () => void): void {
    if (!this.congested || this.closed) callback();
    else this.drainWaiters.push(callback);
  }

  kick(code: 'DUPLICATE_CONNECTION', message: string): void {
    this.fatal(code, message);
  }

  ping(): void {
    if (this.state === 'active') this.reply('PING', { nonce: randomUUID() });
  }

  /** End the connection: BYE-less, graceful, destroyed after a grace period if the peer lingers. */
  close(): void {
    if (this.closed) return;
    this.state = 'closing';
    this.clearHelloTimer();
    this.detach();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), FATAL_CLOSE_GRACE_MS).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: ParsedFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      // Frames that arrived whole before the bad one are handled, then the connection ends.
      if (err instanceof FrameError) this.handleAll(err.parsedBefore);
      const message = err instanceof FrameError ? err.message : 'Unreadable frame.';
      this.fatal('BAD_REQUEST', `${message} Frames are a 4-byte big-endian length then that many bytes of JSON (at most ${MAX_FRAME_BYTES}); the connection is closed.`);
      return;
    }
    this.handleAll(frames);
  }

  private handleAll(frames: ParsedFrame[]): void {
    this.lastHeardAt = Date.now();
    for (const frame of frames) {
      if (this.closed) return;
      try {
        this.handle(frame);
      } catch (err) {
        this.internal(err, frame);
      }
    }
  }

  private handle(raw: ParsedFrame): void {
    const type = raw.type;
    // An id longer than the schema allows is not echoed: the answer must stay a small frame.
    const id = typeof raw.id === 'string' && raw.id.length <= 256 ? raw.id : undefined;
    if (raw.v !== PROTOCOL_VERSION) {
      this.fatal('BAD_REQUEST', `Protocol version ${JSON.stringify(raw.v ?? null)} is not supported; this daemon speaks v${PROTOCOL_VERSION}. The connection is closed.`, id);
      return;
    }
    if (UNSUPPORTED.has(type)) {
      this.error('UNSUPPORTED', `${type} is a v1 message this daemon does not implement (channels, shadows, consensus, logs and health are not available).`, id);
      return;
    }
    if (!KNOWN_TYPES.has(type)) {
      this.error('BAD_REQUEST', `Unknown message type "${type.slice(0, 64)}". See docs/protocol.md for the types this daemon accepts.`, id);
      return;
    }
    if (DAEMON_ONLY.has(type)) {
      this.error('BAD_REQUEST', `${type} is sent by the daemon, not by clients.`, id);
      return;
    }
    const parsed = EnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      this.error('BAD_REQUEST', describeIssues(parsed.error, `${type} envelope`).replace('payload (', '('), id);
      return;
    }
    const env = parsed.data as Envelope;
    if (type === 'HELLO') return this.onHello(env);
    // Before HELLO a BYE is answered, not obeyed: the published SDK leaves the BYE of its previous
    // connection queued and writes it ahead of the HELLO of its next one.
    if (type === 'BYE' && this.state === 'active') return this.close();
    if (type === 'PONG') return;
    if (type === 'PING') return void this.reply('PONG', env.payload ?? {});
    if (isQueryType(type)) return this.onQuery(env, type);
    if (this.state !== 'active') {
      if (type === 'SEND' && env.from !== undefined && env.to !== undefined) return this.onSend(env, env.from);
      this.error('BAD_REQUEST', `${type} needs a HELLO first. Without HELLO only queries and a SEND carrying both "from" and "to" are accepted.`, env.id);
      return;
    }
    switch (type) {
      case 'SEND':
        return this.onSend(env, this.name);
      case 'ACK':
        return this.onAck(env);
      case 'NACK':
        return; // The recipient declined it; redelivery or expiry takes its course.
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
        return this.onSubscribe(env, type === 'SUBSCRIBE');
      default:
        if (WORKER_REQUEST_TYPES.has(type)) return this.onWorkerRequest(env);
        this.error('BAD_REQUEST', `${type} is not accepted here.`, env.id);
    }
  }

  private onHello(env: Envelope): void {
    if (this.state === 'active') {
      this.error('BAD_REQUEST', `This connection already said HELLO as "${this.name}"; open another connection to use another name.`, env.id);
      return;
    }
    const parsed = HelloPayloadSchema.safeParse(env.payload);
    if (!parsed.success) {
      this.error('BAD_REQUEST', describeIssues(parsed.error, 'HELLO'), env.id);
      return;
    }
    const hello = parsed.data;
    const problem = describeNameProblem(hello.agent);
    if (problem) return this.fatal('BAD_REQUEST', `${problem} The connection is closed.`, env.id);
    if (RESERVED_NAMES.has(hello.agent)) {
      return this.fatal('BAD_REQUEST', `"${hello.agent}" is reserved for the daemon's own components; connect under another name.`, env.id);
    }
    this.clearHelloTimer();
    const entityType = hello.entityType ?? 'agent';
    let grant;
    try {
      grant = this.ctx.router.openSession(hello.agent, entityType, hello.session?.resume_token);
    } catch (err) {
      if (err instanceof RouterError) return this.fatal(err.code, `${err.message} The connection is closed.`, env.id);
      throw err;
    }
    if (grant.unknownToken) {
      this.error('RESUME_TOO_OLD', 'The resume token is unknown (expired, or from another daemon); starting a fresh session.', env.id);
    }
    this.name = hello.agent;
    this.entityType = entityType;
    this.sessionId = grant.sessionId;
    this.acks = hello.capabilities?.ack !== false;
    this.facts = { entityType };
    for (const key of ['cli', 'task', 'team', 'model'] as const) if (hello[key] !== undefined) this.facts[key] = hello[key];
    this.state = 'active';
    this.reply('WELCOME', {
      session_id: grant.sessionId,
      resume_token: grant.resumeToken,
      server: { max_frame_bytes: MAX_FRAME_BYTES, heartbeat_ms: this.ctx.timings.heartbeatMs },
    });
    this.ctx.router.register(this, { resumed: grant.resumed });
  }

  private onSend(env: Envelope, from: string): void {
    const payload = SendPayloadSchema.safeParse(env.payload);
    if (!payload.success) return this.error('BAD_REQUEST', describeIssues(payload.error, 'SEND'), env.id);
    if (!env.to) return this.error('BAD_REQUEST', 'SEND needs an envelope "to": an agent name, "*" or "@users".', env.id);
    if (this.state !== 'active') {
      const problem = describeNameProblem(from) ?? (RESERVED_NAMES.has(from) ? `"${from}" is reserved for the daemon's own components.` : null);
      if (problem) return this.error('BAD_REQUEST', `${problem} Send as another "from".`, env.id);
    }
    const body = payload.data.body;
    if (body.length * 3 > MAX_BODY_BYTES && Buffer.byteLength(body) > MAX_BODY_BYTES) {
      return this.error('BAD_REQUEST', `The message body is larger than ${MAX_BODY_BYTES} bytes; send a shorter body or a file path.`, env.id);
    }
    if (payload.data.data && JSON.stringify(payload.data.data).length > MAX_BODY_BYTES) {
      return this.error('BAD_REQUEST', `payload.data is larger than ${MAX_BODY_BYTES} bytes of JSON; send less structured data.`, env.id);
    }
    let result;
    try {
      result = this.ctx.router.dispatch({
        from, to: env.to, payload: env.payload as Record<string, unknown>, meta: env.payload_meta, topic: env.topic, sendId: env.id, origin: this,
      });
    } catch (err) {
      if (err instanceof RouterError) return this.error(err.code, err.message, env.id);
      throw err;
    }
    for (const ep of result.endpoints) if (ep !== this && ep.congested) this.waitFor(ep);
  }

  private onAck(env: Envelope): void {
    const ack = AckPayloadSchema.safeParse(env.payload);
    if (!ack.success) return this.error('BAD_REQUEST', describeIssues(ack.error, 'ACK'), env.id);
    this.ctx.router.ack(this, ack.data);
  }

  private onSubscribe(env: Envelope, subscribe: boolean): void {
    const fromPayload = (env.payload as { topic?: unknown } | undefined)?.topic;
    const topic = env.topic ?? (typeof fromPayload === 'string' ? fromPayload : undefined);
    if (!topic) return this.error('BAD_REQUEST', `${env.type} needs an envelope "topic".`, env.id);
    if (subscribe) this.ctx.router.subscribe(this, topic);
    else this.ctx.router.unsubscribe(this, topic);
  }

  private onQuery(env: Envelope, type: Parameters<typeof answerQuery>[1]): void {
    try {
      const answer = answerQuery(this.ctx, type, env.payload, this.state === 'active' ? this.name : undefined);
      // The published clients match a query's answer by the request's own id.
      this.send({ v: PROTOCOL_VERSION, type: answer.type, id: env.id, ts: Date.now(), payload: answer.payload });
    } catch (err) {
      if (err instanceof BadRequest) return this.error('BAD_REQUEST', err.message, env.id);
      throw err;
    }
  }

  private onWorkerRequest(env: Envelope): void {
    answerWorkerRequest(this.ctx, env.type, env.id, env.payload, this.name).then(
      (answer) => this.reply(answer.type, answer.payload),
      (err) => this.internal(err, env),
    );
  }

  /** Stop reading until `recipient` drains: nothing accepted is dropped, the sender just waits. */
  private waitFor(recipient: Endpoint): void {
    this.blockedOn++;
    if (this.blockedOn === 1) this.socket.pause();
    recipient.onceDrained(() => {
      this.blockedOn--;
      if (this.blockedOn === 0 && !this.closed) this.socket.resume();
    });
  }

  private onDrain(): void {
    if (this.congested) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resume of waiters) resume();
  }

  private reply(type: string, payload: unknown): void {
    this.send({ v: PROTOCOL_VERSION, type, id: randomUUID(), ts: Date.now(), payload });
  }

  private error(code: ErrorCode, message: string, replyTo?: string, fatal = false): void {
    const payload: Record<string, unknown> = { code, message, fatal };
    if (replyTo !== undefined) payload.replyTo = replyTo;
    this.reply('ERROR', payload);
  }

  private fatal(code: ErrorCode, message: string, replyTo?: string): void {
    if (this.closed) return;
    this.error(code, message, replyTo, true);
    this.close();
  }

  private internal(err: unknown, frame: { type?: unknown; id?: unknown }): void {
    logger.error({ err, type: frame.type, agent: this.name }, 'handler failed');
    const replyTo = typeof frame.id === 'string' && frame.id.length <= 256 ? frame.id : undefined;
    this.error('INTERNAL', 'The daemon failed to handle this message; it was not processed. See the daemon log, and retry.', replyTo);
  }

  private clearHelloTimer(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearHelloTimer();
    this.detach();
    this.onClosed(this);
  }

  /** Leave the router as soon as the connection is done, not when the peer finishes closing. */
  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.name) this.ctx.router.unregister(this);
    this.ctx.router.dropOrigin(this);
    // Senders waiting for this socket to drain must not wait forever.
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resume of waiters) resume();
  }
}

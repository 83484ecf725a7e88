import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  PROTOCOL_VERSION, isInternalName, isValidName,
  type AckPayload, type AgentSummary, type MessagesQuery, type SendMeta, type SendPayload, type StoredMessageView,
} from '../../lib/protocol';
import type { Storage, StoredMessage } from '../storage/storage';
import { InFlightTracker, SyncWaits, SYNC_TIMEOUT_MS, buildDeliver, type OutgoingMessage } from './delivery';
import type { Endpoint, ReplyTarget } from './endpoint';
import { LocalEndpoint } from './local-endpoint';
import { OfflineQueue } from './offline-queue';
import { RecentlyDisconnected } from './presence';
import { summary, toOutgoing, toView } from './views';
import {
  RouterError,
  type Accepted, type AgentFacts, type LocalAgent, type LocalAgentHandle, type RelayRouter, type SendOptions,
} from './types';

export interface RouterOptions {
  storage: Storage;
  /** Re-send an unacknowledged DELIVER after this long (default 5000). */
  redeliveryMs?: number;
  maxRedeliveries?: number;
  redeliveryWindowMs?: number;
  /** How long a disconnected user still receives stored messages (default 5 min). */
  recentUserTtlMs?: number;
  recentUserCap?: number;
  /** Period of the sweep of the recently-disconnected table (default 60 s). */
  sweepIntervalMs?: number;
  /** Wait for a sync ACK when the SEND gives no timeoutMs (default 30 s). */
  syncTimeoutMs?: number;
}

export interface SessionGrant {
  sessionId: string;
  resumeToken: string;
  resumed: boolean;
  /** The client offered a resume token this daemon does not know (answer RESUME_TOO_OLD). */
  unknownToken: boolean;
}

export interface DispatchRequest {
  from: string;
  to: string;
  payload: SendPayload | Record<string, unknown>;
  meta?: SendMeta;
  topic?: string;
  /** The SEND envelope id: `replyTo` of a TIMEOUT. */
  sendId?: string;
  /** Who gets the forwarded sync ACK or TIMEOUT. */
  origin?: ReplyTarget;
}

export interface DispatchResult extends Accepted {
  /** The connections it was handed to now (the daemon checks them for congestion). */
  endpoints: Endpoint[];
}

const BROADCAST = '*';
const USERS = '@users';

/** The message router: endpoints by name, delivery, offline storage, presence. */
export class Router extends EventEmitter implements RelayRouter {
  private readonly storage: Storage;
  private readonly byName = new Map<string, Set<Endpoint>>();
  private readonly all = new Set<Endpoint>();
  private readonly subscribers = new Map<string, Set<Endpoint>>();
  private readonly recentUsers: RecentlyDisconnected;
  private readonly offline: OfflineQueue;
  private readonly tracker: InFlightTracker;
  private readonly syncWaits = new SyncWaits();
  private readonly syncTimeoutMs: number;
  private readonly redeliveryTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: RouterOptions) {
    super();
    this.storage = options.storage;
    this.recentUsers = new RecentlyDisconnected(options.recentUserTtlMs, options.recentUserCap);
    this.offline = new OfflineQueue(this.storage, this.recentUsers);
    this.tracker = new InFlightTracker({
      intervalMs: options.redeliveryMs,
      maxRedeliveries: options.maxRedeliveries,
      windowMs: options.redeliveryWindowMs,
    });
    this.syncTimeoutMs = options.syncTimeoutMs ?? SYNC_TIMEOUT_MS;
    const tickMs = Math.max(20, Math.min(1000, Math.floor(this.tracker.intervalMs / 4)));
    this.redeliveryTimer = setInterval(() => this.tracker.tick(Date.now()), tickMs).unref();
    this.sweepTimer = setInterval(() => this.recentUsers.sweep(Date.now()), options.sweepIntervalMs ?? 60_000).unref();
  }

  // ---- sessions and endpoints (used by the daemon's connections) ----

  openSession(name: string, entityType: 'agent' | 'user', resumeToken?: string): SessionGrant {
    const now = Date.now();
    if (resumeToken) {
      const found = this.storage.findSession(resumeToken);
      if (found && found.agent === name) {
        this.storage.touchSession(found.sessionId, now);
        return { sessionId: found.sessionId, resumeToken, resumed: true, unknownToken: false };
      }
    }
    const session = { sessionId: randomUUID(), resumeToken: randomBytes(24).toString('base64url'), agent: name, created: now, lastSeen: now };
    this.storage.saveSession(session);
    if (entityType === 'agent') this.storage.deleteSessionsOf(name, session.sessionId);
    return { sessionId: session.sessionId, resumeToken: session.resumeToken, resumed: false, unknownToken: Boolean(resumeToken) };
  }

  /** Make `ep` reachable, announce it, and hand it what was stored for it. Call after WELCOME. */
  register(ep: Endpoint, options: { resumed?: boolean } = {}): void {
    const now = Date.now();
    const holders = this.byName.get(ep.name);
    if (holders) {
      for (const old of [...holders]) {
        // Agents hold a name alone: the newer HELLO wins. Users may hold several connections.
        if (old === ep || (ep.entityType === 'user' && old.entityType === 'user')) continue;
        this.remove(old);
        old.kick('DUPLICATE_CONNECTION', `Another connection took the name "${ep.name}"; this one is closed. Use a different name for each agent.`);
      }
    }
    let set = this.byName.get(ep.name);
    const wasOnline = Boolean(set && set.size > 0);
    if (!set) this.byName.set(ep.name, (set = new Set()));
    set.add(ep);
    this.all.add(ep);
    this.recentUsers.delete(ep.name);
    if (ep.entityType === 'agent') {
      const f = ep.facts;
      this.storage.upsertAgent({ name: ep.name, cli: f.cli, team: f.team, model: f.model, parent: f.parent, entityType: 'agent', firstSeen: now, lastSeen: now });
    }
    if (!wasOnline) this.emit('presence', { name: ep.name, online: true, entityType: ep.entityType, facts: ep.facts, at: now });
    if (!isInternalName(ep.name)) this.announce(ep);
    for (const message of this.offline.pending(ep.name, Boolean(options.resumed))) {
      this.deliverTo(ep, toOutgoing(message), now);
      if (message.status === 'unread') this.storage.setMessageStatus(message.id, 'delivered');
    }
  }

  unregister(ep: Endpoint): void {
    if (!this.remove(ep)) return;
    const now = Date.now();
    if (!this.byName.has(ep.name)) {
      if (ep.entityType === 'user') this.recentUsers.add(ep.name, now);
      this.emit('presence', { name: ep.name, online: false, entityType: ep.entityType, facts: ep.facts, at: now });
    }
    this.recentUsers.sweep(now);
    if (ep.kind === 'socket') {
      // Internal helpers (CLI senders, status probes) never resume: keeping their sessions would grow the table forever.
      if (isInternalName(ep.name)) this.storage.deleteSession(ep.sessionId);
      else this.storage.touchSession(ep.sessionId, now);
    }
    if (ep.entityType === 'agent') {
      this.storage.upsertAgent({ name: ep.name, entityType: 'agent', firstSeen: now, lastSeen: now });
    }
  }

  /** A connection that ended: forget sync sends it waits for (it may never have said HELLO). */
  dropOrigin(origin: ReplyTarget): void {
    this.syncWaits.dropOrigin(origin);
  }

  subscribe(ep: Endpoint, topic: string): void {
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    set.add(ep);
    ep.topics.add(topic);
  }

  unsubscribe(ep: Endpoint, topic: string): void {
    const set = this.subscribers.get(topic);
    set?.delete(ep);
    if (set && set.size === 0) this.subscribers.delete(topic);
    ep.topics.delete(topic);
  }

  // ---- messages ----

  /** Route one SEND. Throws RouterError NOT_FOUND when nobody can receive it. */
  dispatch(req: DispatchRequest): DispatchResult {
    const now = Date.now();
    const { from, to, topic } = req;
    const isBroadcast = to === BROADCAST || to === USERS;
    let targets: Endpoint[];
    let status: StoredMessage['status'] = 'delivered';
    if (isBroadcast) {
      const pool = topic !== undefined ? (this.subscribers.get(topic) ?? new Set<Endpoint>()) : this.all;
      targets = [];
      for (const ep of pool) {
        if (ep.name !== from && (to === BROADCAST || ep.entityType === 'user')) targets.push(ep);
      }
      if (targets.length === 0) status = 'unread';
    } else {
      const holders = this.byName.get(to);
      if (holders && holders.size > 0) {
        targets = [...holders];
      } else if (this.offline.canHold(to, now)) {
        targets = [];
        status = 'unread';
      } else {
        throw new RouterError(
          'NOT_FOUND',
          `No agent or user named "${to.slice(0, 64)}" is connected or known, so the message was not accepted. Check the name with LIST_AGENTS, or spawn the agent first.`,
        );
      }
    }
    const payload = req.payload as SendPayload;
    const message: StoredMessage = {
      id: randomUUID(),
      from,
      to,
      body: typeof payload.body === 'string' ? payload.body : '',
      kind: typeof payload.kind === 'string' ? payload.kind : 'message',
      ts: now,
      status,
      isBroadcast,
    };
    if (typeof payload.thread === 'string') message.thread = payload.thread;
    if (payload.data && typeof payload.data === 'object') message.data = payload.data;
    if (topic !== undefined) message.topic = topic;
    if (req.meta !== undefined) message.meta = req.meta;
    this.storage.saveMessage(message);

    const outgoing: OutgoingMessage = { messageId: message.id, from, to, topic, ts: now, payload: req.payload, meta: req.meta };
    for (const ep of targets) this.deliverTo(ep, outgoing, now);

    const recipients = isBroadcast ? [...new Set(targets.map((ep) => ep.name))] : [to];
    const sync = req.meta?.sync;
    if (sync?.blocking && req.origin && !(req.origin instanceof LocalEndpoint)) {
      this.syncWaits.add(sync.correlationId, req.origin, req.sendId ?? message.id, recipients, sync.timeoutMs ?? this.syncTimeoutMs);
    }
    this.emit('message', toView(message));
    return { id: message.id, recipients, endpoints: targets };
  }

  ack(ep: Endpoint, ack: AckPayload): void {
    const entry = this.tracker.take(ep, ack.ack_id);
    if (entry) this.storage.setMessageStatus(entry.messageId, 'acked');
    this.syncWaits.complete(ep.name, ack);
  }

  private deliverTo(ep: Endpoint, msg: OutgoingMessage, now: number): void {
    const envelope = buildDeliver(ep, msg);
    if (ep instanceof LocalEndpoint) {
      ep.deliverLocal(envelope, () => {
        this.storage.setMessageStatus(msg.messageId, 'acked');
        const correlationId = msg.meta?.sync?.correlationId;
        if (correlationId) this.syncWaits.complete(ep.name, { ack_id: envelope.id, seq: envelope.delivery!.seq, correlationId });
      });
      return;
    }
    ep.send(envelope);
    if (ep.acks !== false) this.tracker.track(ep, envelope, msg.messageId, now);
  }

  private announce(ep: Endpoint): void {
    const payload: Record<string, unknown> = { name: ep.name, connectedAt: ep.connectedAt };
    if (ep.facts.cli !== undefined) payload.cli = ep.facts.cli;
    if (ep.facts.task !== undefined) payload.task = ep.facts.task;
    for (const other of this.all) {
      if (other === ep) continue;
      other.send({ v: PROTOCOL_VERSION, type: 'AGENT_READY', id: randomUUID(), ts: Date.now(), payload });
    }
  }

  /** Take `ep` out of every table. Returns false when it was not registered. */
  private remove(ep: Endpoint): boolean {
    const set = this.byName.get(ep.name);
    if (!set || !set.delete(ep)) return false;
    if (set.size === 0) this.byName.delete(ep.name);
    this.all.delete(ep);
    this.tracker.dropEndpoint(ep);
    this.syncWaits.dropOrigin(ep);
    for (const topic of ep.topics) this.unsubscribe(ep, topic);
    return true;
  }

  // ---- RelayRouter ----

  attachLocalAgent(name: string, facts: AgentFacts, agent: LocalAgent): LocalAgentHandle {
    const ep = new LocalEndpoint(name, facts, agent, randomUUID(), { intervalMs: this.tracker.intervalMs, max: 5 });
    // The in-process holder replaces any previous local holder of the name, users included.
    for (const old of [...(this.byName.get(name) ?? [])]) {
      if (old instanceof LocalEndpoint) {
        this.unregister(old);
        old.close();
      }
    }
    this.register(ep);
    this.offline.forget(name);
    return {
      detach: () => {
        if (ep.closed) return;
        this.unregister(ep);
        ep.close();
      },
    };
  }

  expectAgent(name: string): void {
    this.offline.expect(name);
  }

  forgetAgent(name: string): void {
    this.offline.forget(name);
    this.storage.deleteAgent(name);
  }

  sendAs(from: string, to: string, body: string, options: SendOptions = {}): Accepted {
    if (!isValidName(from)) throw new RouterError('BAD_REQUEST', `"${from}" is not a valid sender name.`);
    const payload: SendPayload = { kind: options.kind ?? 'message', body };
    if (options.data) payload.data = options.data;
    if (options.thread) payload.thread = options.thread;
    const result = this.dispatch({ from, to, payload, meta: options.meta, topic: options.topic });
    return { id: result.id, recipients: result.recipients };
  }

  listAgents(options: { includeIdle?: boolean; includeInternal?: boolean } = {}): AgentSummary[] {
    const includeIdle = options.includeIdle ?? true;
    const out = new Map<string, AgentSummary>();
    for (const [name, set] of this.byName) {
      const ep = set.values().next().value as Endpoint;
      if (ep.entityType !== 'agent') continue;
      out.set(name, summary(name, ep.facts, false));
    }
    if (includeIdle) {
      for (const record of this.storage.listAgents()) {
        if (record.entityType === 'agent' && !out.has(record.name)) out.set(record.name, summary(record.name, record, true));
      }
      for (const name of this.offline.expectedNames()) if (!out.has(name)) out.set(name, summary(name, {}, true));
    }
    return [...out.values()].filter((a) => options.includeInternal || !isInternalName(a.name));
  }

  connectedAgentNames(): string[] {
    const names: string[] = [];
    for (const [name, set] of this.byName) {
      const ep = set.values().next().value as Endpoint;
      if (ep.entityType === 'agent' && !isInternalName(name)) names.push(name);
    }
    return names;
  }

  /** Facts of a connected agent or user (first connection), for LIST_CONNECTED_AGENTS. */
  factsOf(name: string): AgentFacts | undefined {
    const set = this.byName.get(name);
    return set ? (set.values().next().value as Endpoint).facts : undefined;
  }

  isOnline(name: string): boolean {
    return this.byName.has(name);
  }

  queryMessages(query: MessagesQuery): StoredMessageView[] {
    return this.storage.queryMessages(query).map(toView);
  }

  inbox(agent: string, options: { limit?: number; unreadOnly?: boolean; from?: string } = {}): StoredMessageView[] {
    return this.storage.inbox(agent, options).map(toView);
  }

  // ---- introspection, for STATUS and boundedness tests ----

  get recentlyDisconnectedCount(): number {
    return this.recentUsers.size;
  }

  get inflightCount(): number {
    return this.tracker.size;
  }

  get pendingSyncCount(): number {
    return this.syncWaits.size;
  }

  get endpointCount(): number {
    return this.all.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.redeliveryTimer);
    clearInterval(this.sweepTimer);
    this.syncWaits.clear();
    for (const ep of [...this.all]) {
      if (ep instanceof LocalEndpoint) ep.close();
    }
  }
}

export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}

export { toView };

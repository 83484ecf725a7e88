import { randomBytes, randomUUID } from 'node:crypto';
import {
  PROTOCOL_VERSION, isInternalName, isValidName,
  type AckPayload, type AgentSummary, type Envelope, type MessagesQuery, type SendMeta, type SendPayload, type StoredMessageView,
} from '../../lib/protocol';
import type { Storage, StoredMessage } from '../storage/storage';
import { TypedEmitter } from '../events';
import { InFlightTracker, SyncWaits, SYNC_TIMEOUT_MS, buildDeliver, type OutgoingMessage } from './delivery';
import type { AckCallback, Endpoint, ReplyTarget } from './endpoint';
import { LocalEndpoint } from './local-endpoint';
import { OfflineQueue } from './offline-queue';
import { AgentRegistry } from './registry';
import { UnstoredMessages } from './unstored';
import { RecentlyDisconnected } from './presence';
import { summary, toOutgoing, toView } from './views';
import {
  RouterError,
  type Accepted, type AgentFacts, type LocalAgent, type LocalAgentHandle, type PeerAcceptance, type PeerAckCallback, type PeerMessage,
  type RelayRouter, type RemoteRoutes, type RouterEvents, type SendOptions,
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
  /** Who gets the forwarded sync ACK or TIMEOUT: the sender's connection (in-process senders wait for nothing). */
  origin?: ReplyTarget;
}

export interface DispatchResult extends Accepted {
  /** The connections it was handed to now (the daemon checks them for congestion). */
  endpoints: Endpoint[];
  /** Its storage write mark (Storage.isDurable). */
  mark: number;
}

const BROADCAST = '*';
const USERS = '@users';

/** The message router: endpoints by name, delivery, offline storage, presence. */
export class Router extends TypedEmitter<RouterEvents> implements RelayRouter {
  private readonly storage: Storage;
  private readonly byName = new Map<string, Set<Endpoint>>();
  /** The in-process agents this router wrapped (attachLocalAgent), one per name: it closes them. */
  private readonly localAgents = new Map<string, LocalEndpoint>();
  /** Names of workers from spawn to exit: no HELLO may take them (claimWorkerName). */
  private readonly workerNames = new Set<string>();
  private readonly all = new Set<Endpoint>();
  private readonly subscribers = new Map<string, Set<Endpoint>>();
  private readonly recentUsers: RecentlyDisconnected;
  private readonly offline: OfflineQueue;
  private readonly registry: AgentRegistry;
  private readonly unstored: UnstoredMessages;
  private readonly tracker: InFlightTracker;
  private readonly syncWaits = new SyncWaits();
  private readonly syncTimeoutMs: number;
  private readonly redeliveryTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  /** Set when this relay is a node of a cluster: names it does not hold may live on other nodes. */
  private remote: RemoteRoutes | undefined;
  private closed = false;

  constructor(options: RouterOptions) {
    super();
    this.storage = options.storage;
    this.recentUsers = new RecentlyDisconnected(options.recentUserTtlMs, options.recentUserCap);
    this.registry = new AgentRegistry(this.storage);
    this.unstored = new UnstoredMessages(this.storage);
    this.offline = new OfflineQueue(this.storage, this.recentUsers, this.registry, this.unstored);
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

  /** Every HELLO comes here first. Throws RouterError NAME_TAKEN_BY_WORKER for a running worker's name. */
  openSession(name: string, entityType: 'agent' | 'user', resumeToken?: string): SessionGrant {
    if (this.workerNames.has(name)) {
      throw new RouterError(
        'NAME_TAKEN_BY_WORKER',
        `"${name}" is the name of a running worker; its messages are typed into its terminal. Connect under another name, or release the worker first.`,
      );
    }
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
      this.registry.upsert({ name: ep.name, cli: f.cli, team: f.team, model: f.model, parent: f.parent, entityType: 'agent', firstSeen: now, lastSeen: now });
    }
    if (!wasOnline) this.emit('presence', { name: ep.name, online: true, entityType: ep.entityType, facts: ep.facts, at: now });
    if (!isInternalName(ep.name)) this.announce(ep);
    for (const message of this.offline.pending(ep.name, Boolean(options.resumed))) {
      // Under its stored id: a message from another node is stored under the DELIVER id it first
      // had, so a replay of one the client already saw is a copy it de-duplicates (docs/cluster.md).
      this.deliverTo(ep, { ...toOutgoing(message), deliverId: message.id });
      if (message.status === 'unread') this.setStatus(message.id, 'delivered');
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
      this.registry.upsert({ name: ep.name, entityType: 'agent', firstSeen: now, lastSeen: now });
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
      // Other nodes' agents too; with a topic, their node delivers only to subscribers.
      for (const ep of this.remote?.broadcastTargets() ?? []) {
        if (ep.name !== from && !this.byName.has(ep.name) && (to === BROADCAST || ep.entityType === 'user')) targets.push(ep);
      }
      if (targets.length === 0) status = 'unread';
    } else {
      const holders = this.byName.get(to);
      const here = Boolean(holders && holders.size > 0);
      const remote = this.remote?.endpointFor(to, here);
      if (remote) {
        targets = [remote];
      } else if (holders && here) {
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
    const mark = this.storage.saveMessage(message);
    // Kept in memory too until the database has it (disk full: the write is held and retried).
    this.unstored.add(message, mark);

    const outgoing: OutgoingMessage = { messageId: message.id, from, to, topic, ts: now, payload: req.payload, meta: req.meta };
    for (const ep of targets) this.deliverTo(ep, outgoing);

    const recipients = isBroadcast ? [...new Set(targets.map((ep) => ep.name))] : [to];
    const sync = req.meta?.sync;
    if (sync?.blocking && req.origin) {
      this.syncWaits.add(sync.correlationId, req.origin, req.sendId ?? message.id, recipients, sync.timeoutMs ?? this.syncTimeoutMs);
    }
    this.emit('message', toView(message));
    return { id: message.id, recipients, endpoints: targets, mark };
  }

  /**
   * A message another node routed to `message.to`, connected here (docs/cluster.md). Stored under
   * its DELIVER id and delivered under it, so a copy that arrives again (the stream redelivered it)
   * is not a second message: acknowledged already → 'settled'; else delivered again under the same
   * id, which clients de-duplicate. `onSettled` runs once, at the recipient's ACK (or at once for a
   * topic broadcast it is not subscribed to, or a client that never ACKs).
   */
  acceptFromPeer(message: PeerMessage, onSettled: PeerAckCallback, options: { seenBefore?: boolean } = {}): PeerAcceptance {
    // Only a redelivered copy can have been here before: a first delivery costs no database read.
    const existing = this.unstored.get(message.id) ?? (options.seenBefore ? this.storage.getMessage(message.id) : undefined);
    if (existing?.status === 'acked') return 'settled';
    const holders = [...(this.byName.get(message.to) ?? [])];
    if (holders.length === 0) return 'absent';
    const isBroadcast = message.originalTo === BROADCAST || message.originalTo === USERS;
    const targets = isBroadcast && message.topic !== undefined ? holders.filter((ep) => ep.topics.has(message.topic!)) : holders;
    if (targets.length === 0) return 'settled';
    let stored: StoredMessage | undefined;
    if (!existing) {
      stored = {
        id: message.id,
        from: message.from,
        to: message.originalTo ?? message.to,
        body: typeof message.payload.body === 'string' ? message.payload.body : '',
        kind: typeof message.payload.kind === 'string' ? message.payload.kind : 'message',
        ts: message.ts,
        status: 'delivered',
        isBroadcast,
      };
      if (typeof message.payload.thread === 'string') stored.thread = message.payload.thread;
      if (message.payload.data && typeof message.payload.data === 'object') stored.data = message.payload.data;
      if (message.topic !== undefined) stored.topic = message.topic;
      if (message.meta !== undefined) stored.meta = message.meta;
      this.unstored.add(stored, this.storage.saveMessage(stored));
    }
    let settled = false;
    const settle: PeerAckCallback = (ack) => {
      if (settled) return;
      settled = true;
      onSettled(ack);
    };
    const outgoing: OutgoingMessage = {
      messageId: message.id, from: message.from, to: message.originalTo ?? message.to, topic: message.topic, ts: message.ts,
      payload: message.payload, meta: message.meta, deliverId: message.id,
    };
    for (const ep of targets) {
      ep.deliver(buildDeliver(ep, outgoing), (ack) => {
        this.setStatus(message.id, 'acked');
        settle(ack);
      });
      // A socket client that said it never ACKs (HELLO capabilities.ack false) has it once it is written.
      if ((ep as { acks?: boolean }).acks === false) settle(undefined);
    }
    // After the recipient's copy, as dispatch() does: the dashboard's views do not delay the agent.
    if (stored) this.emit('message', toView(stored));
    return 'delivered';
  }

  /** Join a cluster (server/cluster) or leave it (undefined). */
  setRemoteRoutes(routes: RemoteRoutes | undefined): void {
    this.remote = routes;
  }

  /** Status moves forward in storage and in the copy kept while the write may be held. */
  private setStatus(id: string, status: 'delivered' | 'acked'): void {
    this.storage.setMessageStatus(id, status);
    this.unstored.setStatus(id, status);
  }

  /** A socket client's ACK: completes what its connection's deliver was waiting for, and a sync send. */
  ack(ep: Endpoint, ack: AckPayload): void {
    const entry = this.tracker.take(ep, ack.ack_id);
    if (entry) entry.onAck(ack);
    // An ACK after redelivery gave up, or from a client that said it never ACKs, still answers a sync sender.
    else this.syncWaits.complete(ep.name, ack);
  }

  /**
   * For endpoints on a wire that can lose a frame (socket connections): re-send `envelope` every
   * redelivery interval until `ack()` takes it, a bounded number of times (protocol.md).
   */
  redeliverUntilAcked(ep: Endpoint, envelope: Envelope<SendPayload>, onAck: AckCallback): void {
    this.tracker.track(ep, envelope, onAck, Date.now());
  }

  /** One recipient's DELIVER; however its endpoint delivers it, the ACK marks it acked and answers a sync sender. */
  private deliverTo(ep: Endpoint, msg: OutgoingMessage): void {
    ep.deliver(buildDeliver(ep, msg), (ack) => {
      this.setStatus(msg.messageId, 'acked');
      this.syncWaits.complete(ep.name, ack);
    });
  }

  /**
   * A newer HELLO for `name` on another node (server/cluster): its agent connections here are closed
   * with DUPLICATE_CONNECTION, as a newer HELLO here would close them (agents hold a name alone).
   */
  evictAgent(name: string, message: string): void {
    for (const ep of [...(this.byName.get(name) ?? [])]) {
      if (ep.entityType !== 'agent' || ep.kind !== 'socket') continue;
      this.unregister(ep);
      ep.kick('DUPLICATE_CONNECTION', message);
    }
  }

  /** An agent came online on another node (server/cluster): AGENT_READY to every connection here, as for one of ours. */
  announcePeer(agent: { name: string; cli?: string; task?: string; connectedAt: number }): void {
    if (this.byName.has(agent.name)) return;
    const payload: Record<string, unknown> = { name: agent.name, connectedAt: agent.connectedAt };
    if (agent.cli !== undefined) payload.cli = agent.cli;
    if (agent.task !== undefined) payload.task = agent.task;
    for (const other of this.all) other.send({ v: PROTOCOL_VERSION, type: 'AGENT_READY', id: randomUUID(), ts: Date.now(), payload });
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
    const old = this.localAgents.get(name);
    if (old) {
      this.unregister(old);
      old.close();
    }
    this.localAgents.set(name, ep);
    this.register(ep);
    this.offline.forget(name);
    return {
      detach: () => {
        if (ep.closed) return;
        this.unregister(ep);
        ep.close();
        if (this.localAgents.get(name) === ep) this.localAgents.delete(name);
      },
    };
  }

  expectAgent(name: string): void {
    this.offline.expect(name);
  }

  claimWorkerName(name: string): { release(): void } {
    this.workerNames.add(name);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.workerNames.delete(name);
      },
    };
  }

  forgetAgent(name: string): void {
    this.offline.forget(name);
    this.registry.delete(name);
  }

  sendAs(from: string, to: string, body: string, options: SendOptions = {}): Accepted {
    if (!isValidName(from)) throw new RouterError('BAD_REQUEST', `"${from}" is not a valid sender name.`);
    const payload: SendPayload = { kind: options.kind ?? 'message', body };
    if (options.data) payload.data = options.data;
    if (options.thread) payload.thread = options.thread;
    const result = this.dispatch({ from, to, payload, meta: options.meta, topic: options.topic });
    if (options.confirmStored) return { id: result.id, recipients: result.recipients, persisted: this.storage.isDurable(result.mark) };
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
      for (const record of this.registry.list()) {
        if (record.entityType === 'agent' && !out.has(record.name)) out.set(record.name, summary(record.name, record, true));
      }
      for (const name of this.offline.expectedNames()) if (!out.has(name)) out.set(name, summary(name, {}, true));
    }
    if (this.remote) {
      for (const a of out.values()) a.node = this.remote.node;
      for (const a of this.remote.agents()) if (!out.has(a.name) && (includeIdle || !a.idle)) out.set(a.name, a);
    }
    return [...out.values()].filter((a) => options.includeInternal || !isInternalName(a.name));
  }

  connectedAgentNames(): string[] {
    const names: string[] = [];
    for (const [name, set] of this.byName) {
      const ep = set.values().next().value as Endpoint;
      if (ep.entityType === 'agent' && !isInternalName(name)) names.push(name);
    }
    for (const a of this.remote?.agents() ?? []) if (!a.idle && !this.byName.has(a.name)) names.push(a.name);
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
    return this.unstored.query(this.storage.queryMessages(query), query).map(toView);
  }

  inbox(agent: string, options: { limit?: number; unreadOnly?: boolean; from?: string } = {}): StoredMessageView[] {
    return this.unstored.inbox(this.storage.inbox(agent, options), agent, options).map(toView);
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
    for (const ep of this.localAgents.values()) ep.close();
    this.localAgents.clear();
  }
}

export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}

export { toView };

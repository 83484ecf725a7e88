import type { Subscription } from '@nats-io/transport-node';
import { RESERVED_NAMES, isInternalName, type AckPayload, type AgentSummary, type Envelope, type SendPayload } from '../../lib/protocol';
import { logger } from '../logger';
import type { AckCallback } from '../router/endpoint';
import type { Router } from '../router/router';
import type { PeerAcceptance, PeerAckCallback, PeerMessage, PresenceEvent, RemoteRoutes } from '../router/types';
import type { ClusterConnection } from './connection';
import type { AgentRecord, Directory } from './directory';
import { FETCH_EXPIRES_MS, Inbox, type InboxTarget } from './inbox';
import { LiveReceiver, LiveSender, type LiveTarget } from './live';
import { Outbox } from './outbox';
import { OutboxStore } from './outbox-store';
import { RemoteEndpoint, type RemoteSink } from './remote-endpoint';
import { WireAckSchema, type WireAck, type WireMessage } from '../../lib/protocol';

/**
 * Messages between nodes (docs/cluster.md, Messages across nodes): the router's RemoteRoutes,
 * the sink of every RemoteEndpoint (into the outbox), the target of every inbox (into the router),
 * and the acknowledgements that travel back to the sending node.
 */

/** Acknowledgements a sending node waits for are forgotten after this long (the message stays stored). */
const ACK_WAIT_FORGET_MS = 10 * 60_000;

/** Names that exist on every node by themselves (the dashboard user, helpers): never routed across. */
export function isNodeLocalName(name: string): boolean {
  return RESERVED_NAMES.has(name) || isInternalName(name);
}

export class MessageBridge implements RemoteRoutes, RemoteSink, InboxTarget, LiveTarget {
  readonly node: string;
  private readonly outbox: Outbox;
  private readonly liveSender: LiveSender;
  private readonly liveReceiver: LiveReceiver;
  /** Per recipient: how many messages this process sent it (each message's `lseq`). */
  private readonly laneSeq = new Map<string, number>();
  private readonly endpoints = new Map<string, RemoteEndpoint>();
  private readonly inboxes = new Map<string, Inbox>();
  private readonly awaitingAck = new Map<string, { onAck: AckCallback; at: number; recipient: string }>();
  /** Per recipient: messages sent and not acknowledged yet (the outbox sizes batches by it). */
  private readonly unackedTo = new Map<string, number>();
  /** Recipients this node sent into the stream: while their inbox here has not caught up, local senders go through the stream too. */
  private readonly streamed = new Set<string>();
  private readonly outgoingAcks = new Map<string, WireAck['acks']>();
  private ackFlush: NodeJS.Immediate | undefined;
  private ackSub: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly onPresence = (event: PresenceEvent) => this.presence(event);
  /** Remote agents seen online, so each arrival is announced once (AGENT_READY). */
  private readonly remoteOnline = new Set<string>();
  /** When each agent was last seen leaving another node (local clock): its reader there may still hold a pull. */
  private readonly leftElsewhereAt = new Map<string, number>();
  /** When each agent connected here (its presence event), to tell which of two HELLOs on two nodes is newer. */
  private readonly onlineHereAt = new Map<string, number>();
  private readonly onDirectoryAgent = (name: string) => this.remoteAgentChanged(name);
  private closed = false;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly directory: Directory,
    private readonly router: Router,
    instance: string,
    /** Where the outbox is kept on disk (the sqlite data dir); without it the outbox is memory only. */
    dataDir?: string,
  ) {
    this.node = directory.node;
    this.store = dataDir ? new OutboxStore(dataDir) : undefined;
    this.outbox = new Outbox(conn, this.node, instance, (recipient) => this.unackedTo.get(recipient) ?? 0, this.store);
    this.liveSender = new LiveSender(conn, this.node, instance);
    this.liveReceiver = new LiveReceiver(conn, this.node, this);
  }

  private readonly store: OutboxStore | undefined;

  start(): void {
    const recovered = this.outbox.recover();
    if (recovered > 0) logger.info({ messages: recovered }, 'cluster: publishing what an earlier run left in the outbox');
    this.ackSub = this.conn.nc.subscribe(this.conn.names.acks(this.node), {
      callback: (err, msg) => {
        if (err) return;
        let parsed;
        try {
          parsed = WireAckSchema.parse(msg.json());
        } catch (e) {
          logger.warn({ err: e }, 'cluster: dropped a malformed acknowledgement');
          return;
        }
        for (const { id, ack } of parsed.acks) this.resolveAck(id, ack as AckPayload | undefined);
      },
    });
    this.liveReceiver.start();
    this.router.on('presence', this.onPresence);
    this.directory.on('agent', this.onDirectoryAgent);
    for (const r of this.directory.agents()) if (r.node !== this.node && this.directory.isOnline(r)) this.remoteOnline.add(r.name);
    this.router.setRemoteRoutes(this);
    this.sweepTimer = setInterval(() => {
      const cutoff = Date.now() - ACK_WAIT_FORGET_MS;
      for (const [id, w] of this.awaitingAck) if (w.at < cutoff) this.forgetAck(id, w.recipient);
    }, 60_000).unref();
  }

  stats() {
    return {
      outbox: { ...this.outbox.stats, queuedBytes: this.outbox.queuedBytes },
      live: { sent: this.liveSender.stats.sent, ...this.liveReceiver.stats },
      inboxes: [...this.inboxes.values()].map((i) => ({ recipient: i.recipient, caughtUp: i.caughtUp, unsettled: i.unsettled })),
      awaitingAck: this.awaitingAck.size,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.off('presence', this.onPresence);
    this.directory.off('agent', this.onDirectoryAgent);
    this.router.setRemoteRoutes(undefined);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const inbox of this.inboxes.values()) inbox.stop();
    this.inboxes.clear();
    this.flushAcks();
    this.ackSub?.unsubscribe();
    this.liveReceiver.close();
    this.liveSender.close();
    this.outbox.close();
    this.store?.close();
  }

  // ---- RemoteRoutes ----

  endpointFor(name: string, connectedHere: boolean): RemoteEndpoint | undefined {
    if (isNodeLocalName(name)) return undefined;
    if (connectedHere) {
      // Order: what this node put into the stream for it goes first (docs/cluster.md, 6).
      const inbox = this.inboxes.get(name);
      if (this.outbox.busy(name) || (this.streamed.has(name) && !inbox?.caughtUp)) return this.endpoint(name, this.directory.agent(name));
      this.streamed.delete(name);
      return undefined;
    }
    const record = this.directory.agent(name);
    if (record) {
      // Its last node is this one and it is offline: its messages still go to the stream, so that
      // whichever node it connects to next has them.
      return this.endpoint(name, record);
    }
    const worker = this.directory.worker(name);
    if (worker && worker.node !== this.node) return this.endpoint(name, undefined, worker.node);
    return undefined;
  }

  *broadcastTargets(): Iterable<RemoteEndpoint> {
    for (const record of this.directory.agents()) {
      if (record.node !== this.node && this.directory.isOnline(record) && !isNodeLocalName(record.name)) yield this.endpoint(record.name, record);
    }
  }

  agents(): AgentSummary[] {
    const out: AgentSummary[] = [];
    for (const r of this.directory.agents()) {
      if (r.node === this.node || r.entityType !== 'agent') continue;
      const a: AgentSummary = { name: r.name, idle: !this.directory.isOnline(r), node: r.node };
      if (r.facts.cli) a.cli = r.facts.cli;
      if (r.facts.parent) a.parent = r.facts.parent;
      if (r.facts.team) a.team = r.facts.team;
      if (r.facts.pid !== undefined) a.pid = r.facts.pid;
      out.push(a);
    }
    return out;
  }

  // ---- RemoteSink ----

  get congested(): boolean {
    return this.outbox.congested;
  }

  onceDrained(callback: () => void): void {
    this.outbox.onceDrained(callback);
  }

  forward(ep: RemoteEndpoint, envelope: Envelope<SendPayload>, onAck: AckCallback): void {
    this.awaitingAck.set(envelope.id, { onAck, at: Date.now(), recipient: ep.name });
    this.unackedTo.set(ep.name, (this.unackedTo.get(ep.name) ?? 0) + 1);
    this.streamed.add(ep.name);
    const message: WireMessage = { id: envelope.id, from: envelope.from ?? '', to: ep.name, ts: envelope.ts, payload: envelope.payload as WireMessage['payload'] };
    if (envelope.delivery?.originalTo !== undefined) message.originalTo = envelope.delivery.originalTo;
    if (envelope.topic !== undefined) message.topic = envelope.topic;
    if (envelope.payload_meta !== undefined) message.meta = envelope.payload_meta;
    const lseq = (this.laneSeq.get(ep.name) ?? 0) + 1;
    this.laneSeq.set(ep.name, lseq);
    message.lseq = lseq;
    const liveTo = this.liveNodeOf(ep.name);
    if (liveTo) message.live = true;
    // The live copy first: written to NATS ahead of the stream publish (live.ts).
    const json = JSON.stringify(message);
    if (liveTo && this.outbox.fits(json)) this.liveSender.send(liveTo, json);
    this.outbox.enqueue(message, json);
  }

  /** Where a live copy of a message for `name` goes: the other node it is online on, unless what an earlier run left must go first. */
  private liveNodeOf(name: string): string | undefined {
    const record = this.directory.agent(name);
    if (!record || record.node === this.node || !this.directory.isOnline(record)) return undefined;
    return this.outbox.hasRecovered(name) ? undefined : record.node;
  }

  // ---- InboxTarget ----

  accept(message: WireMessage, onSettled: () => void, from: { senderNode: string; inst?: string; seenBefore: boolean; redo: boolean }): PeerAcceptance {
    const result = this.router.acceptFromPeer(message, (ack) => {
      this.ackToSender(from.senderNode, message.id, ack);
      onSettled();
    }, { seenBefore: from.seenBefore });
    if (result === 'settled') this.ackToSender(from.senderNode, message.id, undefined);
    // What an earlier run re-sent carries that run's numbering: it says nothing of this one's lane.
    if (result !== 'absent' && !from.redo) this.liveReceiver.streamed(from.inst, message.to, message.lseq);
    return result;
  }

  settleLive(id: string, onSettled: () => void): 'settled' | 'delivered' | undefined {
    return this.liveReceiver.matchStreamed(id, onSettled);
  }

  // ---- LiveTarget ----

  readsHere(recipient: string): boolean {
    return this.inboxes.has(recipient);
  }

  acceptLive(message: PeerMessage & { lseq: number }, onSettled: PeerAckCallback): PeerAcceptance {
    // The first of a lane is the one live copy this node may have had by the stream before (then restarted).
    return this.router.acceptFromPeer(message, onSettled, { seenBefore: message.lseq === 1 });
  }

  ackToSender(senderNode: string, id: string, ack: AckPayload | undefined): void {
    if (senderNode === this.node) {
      this.resolveAck(id, ack);
      return;
    }
    let list = this.outgoingAcks.get(senderNode);
    if (!list) this.outgoingAcks.set(senderNode, (list = []));
    list.push(ack ? { id, ack: ack as unknown as Record<string, unknown> } : { id });
    this.ackFlush ??= setImmediate(() => this.flushAcks());
  }

  // ---- internals ----

  private flushAcks(): void {
    this.ackFlush = undefined;
    for (const [node, acks] of this.outgoingAcks) {
      try {
        this.conn.nc.publish(this.conn.names.acks(node), JSON.stringify({ v: 1, acks }));
      } catch (err) {
        // Losing one only leaves the sender's copy 'delivered' (and a sync sender to its timeout).
        logger.debug({ err, node }, 'cluster: could not send acknowledgements');
      }
    }
    this.outgoingAcks.clear();
  }

  private resolveAck(id: string, ack: AckPayload | undefined): void {
    const waiting = this.awaitingAck.get(id);
    if (!waiting) return;
    this.forgetAck(id, waiting.recipient);
    waiting.onAck(ack ?? { ack_id: id, seq: 0 });
    this.outbox.acknowledged(waiting.recipient);
  }

  private forgetAck(id: string, recipient: string): void {
    this.awaitingAck.delete(id);
    const n = (this.unackedTo.get(recipient) ?? 1) - 1;
    if (n > 0) this.unackedTo.set(recipient, n);
    else this.unackedTo.delete(recipient);
  }

  private endpoint(name: string, record: AgentRecord | undefined, node?: string): RemoteEndpoint {
    let ep = this.endpoints.get(name);
    const where = record?.node ?? node ?? this.node;
    if (!ep) {
      ep = new RemoteEndpoint(name, record?.entityType ?? 'agent', record?.facts ?? {}, where, this, record?.at);
      this.endpoints.set(name, ep);
    } else if (record) {
      ep.entityType = record.entityType;
      ep.facts = record.facts;
      ep.node = record.node;
    }
    return ep;
  }

  private remoteAgentChanged(name: string): void {
    const r = this.directory.agent(name);
    const online = Boolean(r && r.node !== this.node && this.directory.isOnline(r) && !isNodeLocalName(name));
    if (online) {
      // The same agent name connected on two nodes: the newer HELLO wins, as on one node (ties by node name).
      const here = this.onlineHereAt.get(name);
      if (here !== undefined && r!.entityType === 'agent' && (r!.at > here || (r!.at === here && r!.node > this.node))) {
        this.onlineHereAt.delete(name);
        this.router.evictAgent(name, `"${name}" connected on node ${r!.node}; this connection is closed. Use a different name for each agent.`);
      }
    }
    if (online && !this.remoteOnline.has(name)) {
      this.remoteOnline.add(name);
      this.router.announcePeer({ name, cli: r!.facts.cli, task: r!.facts.task, connectedAt: r!.at });
    } else if (!online) {
      if (this.remoteOnline.delete(name)) this.leftElsewhereAt.set(name, Date.now());
    }
  }

  private presence(event: PresenceEvent): void {
    if (isNodeLocalName(event.name)) return;
    const facts = { ...event.facts };
    delete facts.entityType;
    const before = this.directory.agent(event.name);
    this.directory.putAgent({ name: event.name, entityType: event.entityType, facts, online: event.online, at: event.at });
    if (event.online) this.onlineHereAt.set(event.name, event.at);
    else this.onlineHereAt.delete(event.name);
    if (event.online) {
      if (this.inboxes.has(event.name)) return;
      const inbox = new Inbox(this.conn, event.name, this);
      this.inboxes.set(event.name, inbox);
      // Arrived from another node (still shown there, or gone a moment ago): that node's last pull
      // may still be handed a batch, which it gives back; reading starts once that is over, so the
      // batches come here in order (docs/cluster.md, 6).
      const stillElsewhere = Boolean(before && before.node !== this.node && this.directory.isOnline(before));
      const leftAgo = Date.now() - (this.leftElsewhereAt.get(event.name) ?? 0);
      this.leftElsewhereAt.delete(event.name);
      this.startInbox(inbox, 0, stillElsewhere || leftAgo < FETCH_EXPIRES_MS + 500 ? FETCH_EXPIRES_MS + 500 : 0);
    } else {
      this.inboxes.get(event.name)?.stop();
      this.inboxes.delete(event.name);
      this.liveReceiver.recipientLeft(event.name);
    }
  }

  private startInbox(inbox: Inbox, attempt = 0, delayMs = 0): void {
    inbox.start(delayMs).catch((err) => {
      if (this.closed || this.inboxes.get(inbox.recipient) !== inbox) return;
      // NATS is away: keep trying; its messages wait in the stream meanwhile.
      if (attempt === 0) logger.warn({ err, recipient: inbox.recipient }, 'cluster: could not open an inbox yet; retrying');
      setTimeout(() => this.startInbox(inbox, attempt + 1), 1_000).unref();
    });
  }
}

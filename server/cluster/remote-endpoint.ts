import type { Envelope, SendPayload } from '../../lib/protocol';
import type { AckCallback, Endpoint } from '../router/endpoint';
import type { AgentFacts } from '../router/types';

/**
 * An agent or user of another node (or one offline everywhere), as the router sees it: an
 * Endpoint like a socket connection. A DELIVER handed to it goes into the outbox for that
 * recipient's subject; `onAck` runs when the node that delivered it says the recipient acknowledged.
 * Control frames (AGENT_READY, forwarded ACKs) are not carried: each node announces its own agents.
 */
export interface RemoteSink {
  forward(ep: RemoteEndpoint, envelope: Envelope<SendPayload>, onAck: AckCallback): void;
  readonly congested: boolean;
  onceDrained(callback: () => void): void;
}

export class RemoteEndpoint implements Endpoint {
  readonly kind = 'remote' as const;
  readonly seqs = new Map<string, number>();
  readonly inflight = new Set<string>();
  readonly topics = new Set<string>();
  readonly closed = false;
  readonly connectedAt: number;
  sessionId: string;

  constructor(
    readonly name: string,
    public entityType: 'agent' | 'user',
    public facts: AgentFacts,
    /** The node it is on, or was last on. */
    public node: string,
    private readonly sink: RemoteSink,
    connectedAt = Date.now(),
  ) {
    this.connectedAt = connectedAt;
    this.sessionId = `cluster:${node}`;
  }

  get congested(): boolean {
    return this.sink.congested;
  }

  send(): boolean {
    return !this.sink.congested;
  }

  onceDrained(callback: () => void): void {
    this.sink.onceDrained(callback);
  }

  kick(): void {
    // A newer HELLO on another node is that node's business; nothing to close here.
  }

  deliver(envelope: Envelope<SendPayload>, onAck: AckCallback): void {
    this.sink.forward(this, envelope, onAck);
  }
}

import type { AckPayload, SendPayload } from '../protocol';
import type { MessageHandler, MessageReply, RelayMessage } from './types';
import type { WireEnvelope } from './wire';

/** Delivered ids remembered for de-duplication (redelivery and session replay). */
const SEEN_LIMIT = 5000;

/**
 * Incoming DELIVERs: run the handlers once per message id, then ACK (with the handler's response
 * when the sender waits for one). A repeat of an id is re-ACKed, never handed to the handlers again.
 */
export class Deliveries {
  private readonly handlers = new Set<MessageHandler>();
  /** id → the ACK we sent (null while the handlers run). Insertion-ordered, so the oldest goes first. */
  private readonly seen = new Map<string, AckPayload | null>();

  constructor(private readonly onHandlerError: (error: unknown, message: RelayMessage) => void) {}

  add(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async handle(env: WireEnvelope<SendPayload>, sendAck: (ack: AckPayload) => void): Promise<void> {
    const previous = this.seen.get(env.id);
    if (previous !== undefined) {
      // A redelivery or replay: our ACK was lost or is not sent yet. Re-ACK once handled; never re-handle.
      if (previous) sendAck(previous);
      return;
    }
    this.remember(env.id, null);
    const message = toMessage(env);
    let reply: MessageReply;
    for (const handler of [...this.handlers]) {
      try {
        const r = await handler(message);
        if (reply === undefined && r !== undefined) reply = r;
      } catch (err) {
        this.onHandlerError(err, message);
      }
    }
    const ack: AckPayload = { ack_id: env.id, seq: env.delivery?.seq };
    if (message.correlationId) {
      ack.correlationId = message.correlationId;
      if (typeof reply === 'string') ack.response = reply;
      else if (reply) {
        if (reply.response !== undefined) ack.response = reply.response;
        if (reply.responseData !== undefined) ack.responseData = reply.responseData;
      }
    }
    this.remember(env.id, ack);
    sendAck(ack);
  }

  private remember(id: string, ack: AckPayload | null): void {
    this.seen.delete(id);
    this.seen.set(id, ack);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.keys().next().value as string);
  }
}

export function toMessage(env: WireEnvelope<SendPayload>): RelayMessage {
  const p = env.payload;
  return {
    id: env.id,
    from: env.from ?? '',
    to: env.to ?? '',
    body: p.body,
    kind: p.kind ?? 'message',
    data: p.data,
    thread: p.thread,
    topic: env.topic,
    ts: env.ts,
    meta: env.payload_meta,
    delivery: env.delivery ?? { seq: 0, session_id: '' },
    originalTo: env.delivery?.originalTo,
    correlationId: env.payload_meta?.sync?.correlationId,
  };
}

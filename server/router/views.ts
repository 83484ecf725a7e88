import type { AgentSummary, SendPayload, StoredMessageView } from '../../lib/protocol';
import type { StoredMessage } from '../storage/storage';
import type { OutgoingMessage } from './delivery';
import type { AgentFacts } from './types';

/** Conversions between stored rows, wire views and agent summaries. */

export function summary(name: string, facts: AgentFacts, idle: boolean): AgentSummary {
  const s: AgentSummary = { name, idle };
  if (facts.cli) s.cli = facts.cli;
  if (facts.parent) s.parent = facts.parent;
  if (facts.team) s.team = facts.team;
  if (facts.pid !== undefined) s.pid = facts.pid;
  return s;
}

export function toOutgoing(m: StoredMessage): OutgoingMessage {
  const payload: SendPayload = { kind: m.kind as SendPayload['kind'], body: m.body };
  if (m.data) payload.data = m.data;
  if (m.thread !== undefined) payload.thread = m.thread;
  return { messageId: m.id, from: m.from, to: m.to, topic: m.topic, ts: m.ts, payload, meta: m.meta };
}

export function toView(m: StoredMessage): StoredMessageView {
  const view: StoredMessageView = { id: m.id, from: m.from, to: m.to, body: m.body, timestamp: m.ts, status: m.status };
  if (m.thread !== undefined) view.thread = m.thread;
  if (m.isBroadcast) view.isBroadcast = true;
  if (m.data) view.data = m.data;
  return view;
}


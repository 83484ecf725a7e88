import { RelayClient } from '@agent-relay/sdk';
import { afterAll, beforeAll } from 'vitest';
import { startNats, type NatsServer } from './nats';
import { startNodeStack, type NodeStack, type NodeStackOptions } from './stack';

/**
 * What the cluster tests share: one real nats-server and two nodes, A and B, started before a
 * file's tests and stopped after them; a wait; the published SDK as a client that records what
 * it is sent.
 */

export interface TwoNodes {
  nats: NatsServer;
  a: NodeStack;
  b: NodeStack;
}

type NodeOptions = Partial<Omit<NodeStackOptions, 'servers' | 'node'>>;

/**
 * Registers the file's beforeAll/afterAll. The returned object's fields are set once beforeAll has
 * run: read them inside tests and hooks. `beforeStop` runs first in afterAll (close clients there).
 */
export function useTwoNodes(options: { a?: NodeOptions; b?: NodeOptions; ready?: (nodes: TwoNodes) => Promise<void>; beforeStop?: () => Promise<void> | void } = {}): TwoNodes {
  const nodes = {} as TwoNodes;
  beforeAll(async () => {
    nodes.nats = await startNats();
    nodes.a = await startNodeStack({ ...options.a, servers: [nodes.nats.url], node: 'A' });
    nodes.b = await startNodeStack({ ...options.b, servers: [nodes.nats.url], node: 'B' });
    await options.ready?.(nodes);
  }, 60_000);
  afterAll(async () => {
    await options.beforeStop?.();
    await nodes.a?.stop();
    await nodes.b?.stop();
    await nodes.nats?.stop();
    nodes.nats?.cleanup();
  }, 60_000);
  return nodes;
}

/** Polls `check` every 25 ms until it gives a truthy value (returned), or throws naming `what`. */
export async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `on`'s directory has seen `name` online (or offline): presence crosses through the KV bucket. */
export async function seen(on: NodeStack, name: string, online = true): Promise<void> {
  await until(() => {
    const r = on.cluster.directory.agent(name);
    return Boolean(r && on.cluster.directory.isOnline(r) === online);
  }, `${on.node} to see ${name} ${online ? 'online' : 'offline'}`);
}

export interface Received {
  from: string;
  body: string;
  id: string;
  originalTo?: string;
}

/** Published-SDK clients (@agent-relay/sdk) that record what they receive; `destroyAll` in afterAll. */
export class SdkClients {
  private readonly clients: RelayClient[] = [];

  async connect(node: NodeStack, agentName: string): Promise<{ client: RelayClient; inbox: Received[] }> {
    const client = new RelayClient({ socketPath: node.socketPath, agentName, quiet: true, reconnect: false });
    const inbox: Received[] = [];
    client.onMessage = (from: string, payload: { body: string }, id: string, _meta: unknown, originalTo?: string) => {
      inbox.push({ from, body: payload.body, id, originalTo });
    };
    this.clients.push(client);
    await client.connect();
    return { client, inbox };
  }

  destroyAll(): void {
    for (const c of this.clients.splice(0)) c.destroy();
  }
}

import { NAME_PATTERN } from '../../lib/protocol/names';

/**
 * Subjects, stream, bucket and consumer names of one cluster (docs/cluster.md, "Names under one
 * prefix"). Relay names may hold '.', which NATS reads as a token separator: it is written '='
 * (never part of a relay name), so the mapping is one to one and reversible.
 */

export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function encodeName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new Error(`"${name.slice(0, 80)}" is not a relay name; it cannot become a NATS subject token.`);
  return name.replace(/\./g, '=');
}

export function decodeName(token: string): string {
  return token.replace(/=/g, '.');
}

export interface ClusterNames {
  cluster: string;
  prefix: string;
  stream: string;
  bucket: string;
  /** Every recipient subject (the stream's subjects). */
  allTo: string;
  to(recipient: string): string;
  acks(node: string): string;
  /** Live copies of messages for recipients connected to `node` (core, beside the stream). */
  live(node: string): string;
  rpc(node: string): string;
  output(node: string, worker: string): string;
  /** Driver changes of node `node`'s workers (drive/watch across nodes). */
  drivers(node: string): string;
  allDrivers: string;
  inboxConsumer(recipient: string): string;
}

export function clusterNames(cluster: string): ClusterNames {
  if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new Error(`Cluster name "${cluster}" must be 1-32 letters, digits, "_" or "-".`);
  const prefix = `agent-relay.${cluster}`;
  return {
    cluster,
    prefix,
    stream: `AR_${cluster}_MSG`,
    bucket: `AR_${cluster}_dir`,
    allTo: `${prefix}.to.*`,
    to: (recipient) => `${prefix}.to.${encodeName(recipient)}`,
    acks: (node) => `${prefix}.acks.${encodeName(node)}`,
    live: (node) => `${prefix}.live.${encodeName(node)}`,
    rpc: (node) => `${prefix}.rpc.${encodeName(node)}`,
    output: (node, worker) => `${prefix}.out.${encodeName(node)}.${encodeName(worker)}`,
    drivers: (node) => `${prefix}.drv.${encodeName(node)}`,
    allDrivers: `${prefix}.drv.*`,
    inboxConsumer: (recipient) => `in_${encodeName(recipient)}`,
  };
}

/** A host name made into a valid relay node name ("build-box.local" stays; "3rd host" → "_3rd-host"). */
export function nodeNameFromHost(host: string): string {
  let name = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`.slice(0, 64);
  return NAME_PATTERN.test(name) ? name : 'node';
}

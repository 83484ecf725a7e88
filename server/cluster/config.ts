import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { NAME_PATTERN } from '../../lib/protocol/names';
import { CLUSTER_NAME_PATTERN, nodeNameFromHost } from './names';

/**
 * Cluster settings: `up --cluster …` flags over the `cluster` section of `.agent-relay/config.json`
 * (docs/cluster.md, Configuration). Absent both, the relay is not a node and nothing here runs.
 */

export const ClusterFileSchema = z
  .object({
    url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    node: z.string().regex(NAME_PATTERN, 'a node name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_"').optional(),
    name: z.string().regex(CLUSTER_NAME_PATTERN, 'a cluster name is 1-32 letters, digits, "_" or "-"').optional(),
    credsFile: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    tlsCaFile: z.string().min(1).optional(),
    /** Stream and bucket replicas (default: 3 when the NATS server is part of a cluster, else 1). */
    replicas: z.number().int().min(1).max(5).optional(),
  })
  .strict();

export interface ClusterFlags {
  cluster?: string;
  node?: string;
  clusterName?: string;
  clusterCreds?: string;
  clusterTokenFile?: string;
}

export interface ClusterConfig {
  servers: string[];
  node: string;
  cluster: string;
  credsFile?: string;
  tokenFile?: string;
  tlsCaFile?: string;
  replicas?: number;
  /** Where the settings came from, for error messages. */
  source: string;
}

export class ClusterConfigError extends Error {}

function readSection(dataDir: string): { section?: z.infer<typeof ClusterFileSchema>; file: string } {
  const file = join(dataDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file };
    throw new ClusterConfigError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code}); fix its permissions or remove it.`);
  }
  if (!text.trim()) return { file };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ClusterConfigError(`${file} is not valid JSON (${(err as Error).message}); fix it or remove it.`);
  }
  const cluster = (raw as { cluster?: unknown } | null)?.cluster;
  if (cluster === undefined) return { file };
  const parsed = ClusterFileSchema.safeParse(cluster);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClusterConfigError(
      `${file}: cluster.${issue?.path.join('.') || ''} ${issue?.message ?? 'is malformed'}. Expected {"cluster": {"url": "nats://host:4222", "node": "laptop"}}.`,
    );
  }
  return { section: parsed.data, file };
}

function splitUrls(value: string | string[]): string[] {
  const list = (Array.isArray(value) ? value : value.split(',')).map((u) => u.trim()).filter(Boolean);
  for (const url of list) {
    if (!/^(nats|tls):\/\/[^\s/]+(:\d+)?\/?$/.test(url)) {
      throw new ClusterConfigError(`"${url}" is not a NATS URL; use nats://HOST:PORT or tls://HOST:PORT (user:password@ may precede the host).`);
    }
  }
  return list;
}

/** The cluster settings for `up`, or undefined when this relay is not a node. Throws ClusterConfigError. */
export function resolveClusterConfig(flags: ClusterFlags, dataDir: string, projectRoot: string): ClusterConfig | undefined {
  const { section, file } = readSection(dataDir);
  const url = flags.cluster ?? section?.url;
  if (url === undefined) {
    if (flags.node || flags.clusterCreds || flags.clusterTokenFile || flags.clusterName) {
      throw new ClusterConfigError('--node, --cluster-name, --cluster-creds and --cluster-token-file need --cluster nats://HOST:PORT (or cluster.url in .agent-relay/config.json).');
    }
    return undefined;
  }
  const node = flags.node ?? section?.node ?? nodeNameFromHost(hostname());
  if (!NAME_PATTERN.test(node)) throw new ClusterConfigError(`--node "${node}": use 1-64 letters, digits, ".", "_" or "-", starting with a letter or "_".`);
  const cluster = flags.clusterName ?? section?.name ?? 'default';
  if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new ClusterConfigError(`--cluster-name "${cluster}": use 1-32 letters, digits, "_" or "-".`);
  const credsFile = flags.clusterCreds ?? section?.credsFile;
  const tokenFile = flags.clusterTokenFile ?? section?.tokenFile;
  if (credsFile && tokenFile) throw new ClusterConfigError('Give either --cluster-creds or --cluster-token-file, not both.');
  const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(projectRoot, p));
  return {
    servers: splitUrls(url),
    node,
    cluster,
    credsFile: abs(credsFile),
    tokenFile: abs(tokenFile),
    tlsCaFile: abs(section?.tlsCaFile),
    replicas: section?.replicas,
    source: flags.cluster ? '--cluster' : file,
  };
}

import { InvalidArgumentError, type Command } from 'commander';
import { CliError, EXIT, type CliContext } from '../context';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('Use a port number from 0 to 65535.');
  return port;
}

interface UpFlags {
  port?: number;
  host?: string;
  project?: string;
  storage?: string;
  open: boolean;
  dev?: boolean;
  buildIfStale?: boolean;
  verbose?: boolean;
  maxWorkers?: number;
  cluster?: string;
  node?: string;
  clusterName?: string;
  clusterCreds?: string;
  clusterTokenFile?: string;
}

function parseMaxWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('Use a whole number of workers from 1 to 10000.');
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('start the dashboard and the daemon for this project (one process; Ctrl-C or "agent-relay down" stops it)')
    .option('--port <port>', 'dashboard port (default 3888)', parsePort)
    .option('--host <host>', 'address to bind (default 127.0.0.1; a non-loopback host always requires the token)')
    .option('--project <dir>', 'project root (default: nearest ancestor with .git, package.json, …)')
    .option('--storage <driver>', 'sqlite (default) or memory')
    .option('--no-open', 'do not open the browser')
    .option('--dev', 'run Next in development mode')
    .option('--build-if-stale', 'run next build first when the build is missing or stale')
    .option('--verbose', 'log more')
    .option('--max-workers <n>', 'most workers running at once (default 32)', parseMaxWorkers)
    .option('--cluster <url>', 'join a cluster through NATS JetStream: nats://HOST:PORT or tls://… (comma-separated for several servers; docs/cluster.md)')
    .option('--node <name>', 'this relay\'s node name in the cluster (default: the host name)')
    .option('--cluster-name <name>', 'the cluster\'s name: the prefix of its subjects, stream and bucket (default "default")')
    .option('--cluster-creds <file>', 'NATS credentials file (nkey/JWT) for the cluster')
    .option('--cluster-token-file <file>', 'file holding the NATS token for the cluster')
    .action(async (opts: UpFlags) => {
      if (opts.storage !== undefined && opts.storage !== 'sqlite' && opts.storage !== 'memory') {
        throw new CliError(`--storage must be sqlite or memory, not "${opts.storage}".`, EXIT.USAGE);
      }
      // Loaded only here: it pulls in Next, which the other commands must not pay for.
      const { runUp } = await import('../run-up');
      await runUp({ ...opts, storage: opts.storage as 'sqlite' | 'memory' | undefined, socket: ctx.globals().socket });
    });
}

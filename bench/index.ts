import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { parseArgs, USAGE, UsageError, type Section } from './args';
import { MeasureError, type BenchContext, type Figure, type SectionRunner } from './context';
import { browserSection } from './sections/browser';
import { echoSection } from './sections/echo';
import { routeSection } from './sections/route';
import { SCALE_MAX_WORKERS, scaleSection } from './sections/scale';
import { spawnSection } from './sections/spawn';
import { slowViewerSection, streamSection } from './sections/stream';
import { worktreeSection } from './sections/worktree';
import { authSection } from './sections/auth';
import { cliSection, mcpSection } from './sections/startup';
import { browserEchoSection } from './sections/browser-echo';
import { clusterSection } from './sections/cluster';
import { ensureBuild, makeTempRoot, removeTempRoot, startServer, type RunningServer } from './server';

/** `npm run bench`: see docs/performance.md and the contract in the spec's benchmarks.md. */

/** Every JSON field of benchmarks.md, so a section that could not measure still shows all its keys. */
const FIELDS: Record<Section, string[]> = {
  // server_cpu_ms_per_mib is ours, beyond the contract: the server's CPU per MiB streamed.
  stream: ['raw_mbps', 'e2e_mbps', 'ratio', 'bytes', 'verified', 'server_cpu_ms_per_mib'],
  slow_viewer: ['rss_growth_mb', 'agent_mbps'],
  echo: ['p50_ms', 'p99_ms', 'raw_p50_ms', 'raw_p99_ms'],
  route: ['rtt_p50_ms', 'rtt_p99_ms', 'msgs_per_s', 'lost', 'duplicates', 'raw_rtt_p50_ms'],
  // raw_first_byte_* are ours: node-pty in the bench process starting the same command, interleaved.
  spawn: ['first_byte_p50_ms', 'first_byte_p99_ms', 'release_p50_ms', 'raw_first_byte_p50_ms', 'raw_first_byte_p99_ms'],
  // changes_p99_ms, lines and diff_bytes are ours, beside the contract's changes_ms and its raw baseline.
  worktree: ['changes_ms', 'changes_p99_ms', 'raw_git_diff_ms', 'lines', 'diff_bytes'],
  // Ours (issue 10): malformed-token 401s, HTTP and socket.io, beside a bare server's 401.
  auth: ['requests', 'p50_ms', 'p99_ms', 'socketio_p50_ms', 'socketio_p99_ms', 'max_ms', 'over_100ms', 'fd_growth', 'raw_p50_ms', 'raw_p99_ms'],
  // rss_per_idle_terminal_mb is ours: what each idle terminal after the first adds to a fresh server.
  scale: ['rss_idle_mb', 'rss_per_idle_terminal_mb', 'workers', 'rss_mb_per_worker', 'idle_cpu_pct', 'echo_p99_under_load_ms'],
  browser: ['first_paint_ms', 'render_mbps', 'raw_render_mbps'],
  // Beyond the contract: send_ms, raw_node_ms (a bare `node -e 0`), raw_tools_list_ms (the MCP SDK's own
  // minimal server), tools, and the CPU time of each (steadier than wall time on a loaded machine).
  cli: ['cold_start_ms', 'send_ms', 'raw_node_ms', 'cold_start_cpu_ms', 'send_cpu_ms', 'raw_node_cpu_ms'],
  mcp: ['tools_list_ms', 'raw_tools_list_ms', 'tools', 'tools_list_cpu_ms', 'raw_tools_list_cpu_ms'],
  browser_echo: ['p50_ms', 'p99_ms', 'raw_p50_ms', 'raw_p99_ms'],
  // Issue 12: cross-node figures through NATS JetStream beside one plain relay's, same run, and the load.
  // raw_js_rtt_*: the same ping-pong through JetStream alone between two processes (the engine's floor);
  // raw_core_rtt_*: over core NATS alone (the live copies' floor).
  cluster: ['rtt_p50_ms', 'rtt_p99_ms', 'msgs_per_s', 'lost', 'duplicates', 'single_rtt_p50_ms', 'single_rtt_p99_ms', 'single_msgs_per_s', 'rtt_ratio', 'raw_js_rtt_p50_ms', 'raw_js_rtt_p99_ms', 'raw_core_rtt_p50_ms', 'raw_core_rtt_p99_ms', 'load_1m'],
};

const RUNNERS: Record<Section, SectionRunner> = {
  stream: streamSection,
  slow_viewer: slowViewerSection,
  echo: echoSection,
  route: routeSection,
  spawn: spawnSection,
  worktree: worktreeSection,
  auth: authSection,
  scale: scaleSection,
  cli: cliSection,
  mcp: mcpSection,
  browser: browserSection,
  browser_echo: browserEchoSection,
  cluster: clusterSection,
};

function machine(): Record<string, unknown> {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    mem_gb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    kernel: release(),
    commit,
  };
}

function printTable(results: Record<string, Record<string, Figure>>): void {
  const rows: [string, string][] = [];
  for (const [section, figures] of Object.entries(results)) {
    for (const [field, value] of Object.entries(figures)) rows.push([`${section}.${field}`, value === null ? '—' : String(value)]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write('\n' + rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n\n');
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message + '\n');
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const began = Date.now();
  const root = makeTempRoot();
  const log = (m: string): void => void process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(1)}s] ${m}\n`);
  const notes: string[] = [];
  let serverPromise: Promise<RunningServer> | undefined;
  const ctx: BenchContext = {
    args,
    root,
    log,
    note: (m) => {
      notes.push(m);
      log(m);
    },
    server: () => {
      serverPromise ??= (async () => {
        ensureBuild(log);
        const nodeFlags = process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean);
        const s = await startServer(root, { maxWorkers: SCALE_MAX_WORKERS, nodeFlags });
        log(`production server pid ${s.pid} on ${s.origin}`);
        return s;
      })();
      return serverPromise;
    },
  };

  const results: Record<string, Record<string, Figure>> = {};
  const errors: Record<string, string> = {};
  const stopAll = async (): Promise<void> => {
    if (!serverPromise) return;
    const server = await serverPromise.catch(() => undefined);
    if (!server) return;
    const leftovers = await server.stop();
    if (leftovers.length) ctx.note(`the server left ${leftovers.length} process(es) behind after SIGTERM; the bench killed them: ${leftovers.slice(0, 5).join(', ')}`);
  };
  const onSignal = (): void => {
    void stopAll().finally(() => {
      if (!args.keep) removeTempRoot(root);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    for (const section of args.only) {
      const t = Date.now();
      log(`${section}…`);
      results[section] = {};
      try {
        // A watchdog, so a hung section cannot hold the run past its time limit.
        // scale starts a server of its own first (rss_idle_mb), which takes 10-20 s on a loaded machine.
        const limitMs = (args.quick ? 50_000 : 150_000) + (section === 'scale' ? 60_000 : 0);
        let watchdog: NodeJS.Timeout | undefined;
        await Promise.race([
          RUNNERS[section](ctx, results[section]),
          new Promise<never>((_, reject) => {
            watchdog = setTimeout(() => reject(new MeasureError(`${section}: no result within ${limitMs / 1000} s`)), limitMs);
          }),
        ]).finally(() => clearTimeout(watchdog));
        log(`${section} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors[section] = message;
        log(`${section} could not measure: ${message}${err instanceof MeasureError ? '' : `\n${(err as Error).stack ?? ''}`}`);
      }
      // Every field of the contract, in its order; null where it could not be measured.
      results[section] = Object.fromEntries(FIELDS[section].map((f) => [f, results[section][f] ?? null]));
    }
  } finally {
    await stopAll();
    if (args.keep) log(`kept ${root}`);
    else removeTempRoot(root);
  }

  const report = {
    ...results,
    meta: {
      command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
      quick: args.quick,
      date: new Date().toISOString(),
      duration_s: Math.round((Date.now() - began) / 100) / 10,
      machine: machine(),
      notes,
      errors,
    },
  };
  writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
  printTable(results);
  log(`wrote ${args.out} in ${report.meta.duration_s} s`);
  return Object.keys(errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

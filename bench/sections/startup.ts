import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { REPO, type RunningServer } from '../server';
import { median, msSince, round } from '../stats';

/**
 * Cold start of the processes agents start all the time: `agent-relay --help` and `send` (agents call
 * it from their shells) and `agent-relay mcp serve` to its `tools/list` answer (every editor and every
 * agent worker starts one; one that answers late misses the agent's first turn). Raw baselines in the
 * same run: a bare `node -e 0`, and the MCP SDK's own minimal server (fixtures/mcp-minimal.mjs).
 * Runs are interleaved, figures are medians.
 */

const BIN = join(REPO, 'bin', 'agent-relay.js');
const MCP_MINIMAL = join(import.meta.dirname, '..', 'fixtures', 'mcp-minimal.mjs');

export interface Run {
  ms: number;
  /** user + system CPU of the process (bash's `times`, 10 ms resolution). */
  cpuMs: number;
}

/** Run `node ...args` to its exit under bash, which reports its wall time and its CPU time. */
export function timeRun(args: string[], env: NodeJS.ProcessEnv): Run {
  const script = 't0=$EPOCHREALTIME; "$@" >/dev/null; s=$?; t1=$EPOCHREALTIME; times; echo "$t0 $t1"; exit $s';
  const r = spawnSync('bash', ['-c', script, 'bash', process.execPath, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new MeasureError(`cli: \`node ${args.join(' ')}\` exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  const lines = r.stdout.trim().split('\n');
  const [t0, t1] = lines[lines.length - 1].split(' ').map(Number);
  // `times`: the shell's own user/sys, then its children's ("0m0.123s 0m0.045s").
  const seconds = [...(lines[lines.length - 2] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || seconds.length !== 2) throw new MeasureError(`cli: could not read bash's timing output: ${r.stdout.slice(0, 200)}`);
  return { ms: (t1 - t0) * 1000, cpuMs: (seconds[0] + seconds[1]) * 1000 };
}

/** utime + stime of a live process in ms, from /proc (10 ms ticks). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Spawn an MCP stdio server, initialize, list tools: ms from spawn to the tools/list answer. */
export function timeToolsList(args: string[], env: NodeJS.ProcessEnv): Promise<Run & { tools: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new MeasureError(`mcp: no tools/list answer from \`node ${args.join(' ')}\` within 30 s: ${stderr.trim().slice(-300)}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (let nl = stdout.indexOf('\n'); nl >= 0; nl = stdout.indexOf('\n')) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        let msg: { id?: number; result?: { tools?: unknown[] }; error?: { message: string } };
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.id === 1) {
          child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
          child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }) + '\n');
        } else if (msg.id === 2) {
          const ms = msSince(start);
          const cpuMs = cpuMsOf(child.pid);
          clearTimeout(timer);
          child.stdin.end();
          child.kill('SIGTERM');
          if (!msg.result?.tools?.length) reject(new MeasureError(`mcp: tools/list answered without tools: ${line.slice(0, 200)}`));
          else resolve({ ms, cpuMs, tools: msg.result.tools.length });
        }
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new MeasureError(`mcp: could not start \`node ${args.join(' ')}\`: ${err.message}`));
    });
    // An editor writes initialize at once, before the server has loaded: stdin buffers it.
    child.stdin.write(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) + '\n',
    );
  });
}

function relayEnv(server: RunningServer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RELAY_SOCKET: server.socketPath, RELAY_AGENT_NAME: 'bench-mcp' };
  delete env.AGENT_RELAY_SOURCES;
  return env;
}

/** Whether the runs below use the prebuilt CLI or the sources (noted: the figures mean different things). */
function noteWhichBuild(ctx: BenchContext): void {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./server/lifecycle/prebuilt.mjs'); process.stdout.write(m.prebuiltStaleReason() ?? '')"], { cwd: REPO, encoding: 'utf8' });
  const reason = r.stdout.trim();
  if (reason) ctx.note(`cli/mcp: the prebuilt CLI is not used (${reason}): these runs transpile the sources through tsx; \`npm run build\` prebuilds it`);
}

export async function cliSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const rounds = ctx.args.quick ? 5 : 11;
  const server = await ctx.server();
  const env = relayEnv(server);
  noteWhichBuild(ctx);
  const raw: Run[] = [];
  const help: Run[] = [];
  const send: Run[] = [];
  // One unmeasured run of each warms the page cache.
  timeRun(['-e', '0'], env);
  timeRun([BIN, '--help'], env);
  for (let i = 0; i < rounds; i++) {
    raw.push(timeRun(['-e', '0'], env));
    help.push(timeRun([BIN, '--help'], env));
    send.push(timeRun([BIN, 'send', '--wait', '0', '@users', `bench ${i}`], env));
  }
  const m = (runs: Run[], key: keyof Run) => round(median(runs.map((r) => r[key])));
  Object.assign(out, {
    cold_start_ms: m(help, 'ms'), send_ms: m(send, 'ms'), raw_node_ms: m(raw, 'ms'),
    cold_start_cpu_ms: m(help, 'cpuMs'), send_cpu_ms: m(send, 'cpuMs'), raw_node_cpu_ms: m(raw, 'cpuMs'),
  });
}

export async function mcpSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const rounds = ctx.args.quick ? 5 : 11;
  const server = await ctx.server();
  const env = relayEnv(server);
  const ours: Run[] = [];
  const raw: Run[] = [];
  let tools = 0;
  await timeToolsList([BIN, 'mcp', 'serve'], env);
  for (let i = 0; i < rounds; i++) {
    raw.push(await timeToolsList([MCP_MINIMAL], env));
    const r = await timeToolsList([BIN, 'mcp', 'serve'], env);
    ours.push(r);
    tools = r.tools;
  }
  const m = (runs: Run[], key: keyof Run) => round(median(runs.map((r) => r[key])));
  Object.assign(out, {
    tools_list_ms: m(ours, 'ms'), raw_tools_list_ms: m(raw, 'ms'), tools,
    tools_list_cpu_ms: m(ours, 'cpuMs'), raw_tools_list_cpu_ms: m(raw, 'cpuMs'),
  });
}

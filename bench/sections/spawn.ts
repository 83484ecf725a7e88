import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { rawSpawnFirstByte } from '../raw';
import { attach, connectViewer, releaseWorker, spawnWorker } from '../relay';
import { msSince, percentile, round } from '../stats';

/**
 * Spawns through POST /api/workers, each timed until its first output byte reaches a socket.io viewer.
 * Raw baseline, interleaved: node-pty in the bench process starting the same command (raw.ts).
 */
export async function spawnSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const count = ctx.args.quick ? 10 : 30;
  const server = await ctx.server();
  const viewer = await connectViewer(server);
  const names: string[] = [];
  const firstByte: number[] = [];
  const release: number[] = [];
  const raw: number[] = [];
  const COMMAND = ['bash', ['-c', 'echo ready; sleep 30']] as const;
  try {
    for (let i = 0; i < count; i++) {
      raw.push(await rawSpawnFirstByte(COMMAND[0], [...COMMAND[1]]));
      const name = `spawn-${i}`;
      const start = process.hrtime.bigint();
      const first = new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new MeasureError(`spawn: no output from ${name} within 10 s`)), 10_000);
        const done = (): void => {
          clearTimeout(t);
          viewer.off('worker:output', onOutput);
          viewer.off('worker:snapshot', onSnapshot);
          resolve(msSince(start));
        };
        const onOutput = (worker: string, _s: number, data: Uint8Array): void => {
          if (worker === name && data.byteLength > 0) done();
        };
        const onSnapshot = (snap: { name: string; data: string }): void => {
          if (snap.name === name && snap.data.includes('ready')) done();
        };
        viewer.on('worker:output', onOutput);
        viewer.on('worker:snapshot', onSnapshot);
      });
      await spawnWorker(server, { name, cli: COMMAND[0], args: [...COMMAND[1]] });
      names.push(name);
      await attach(viewer, name, 0);
      firstByte.push(await first);
    }
    for (const name of names.splice(0)) {
      const start = process.hrtime.bigint();
      await releaseWorker(server, name);
      release.push(msSince(start));
    }
    Object.assign(out, {
      first_byte_p50_ms: round(percentile(firstByte, 50)),
      first_byte_p99_ms: round(percentile(firstByte, 99)),
      release_p50_ms: round(percentile(release, 50)),
      raw_first_byte_p50_ms: round(percentile(raw, 50)),
      raw_first_byte_p99_ms: round(percentile(raw, 99)),
    });
  } finally {
    viewer.close();
    for (const name of names) await releaseWorker(server, name, true).catch(() => undefined);
  }
}

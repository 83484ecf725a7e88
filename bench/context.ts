import type { BenchArgs } from './args';
import type { RunningServer } from './server';

export type Figure = number | boolean | null;
export type SectionResult = Record<string, Figure>;
/** A section fills `out` as it measures, so raw baselines survive an e2e half that could not measure. */
export type SectionRunner = (ctx: BenchContext, out: SectionResult) => Promise<void>;

export interface BenchContext {
  args: BenchArgs;
  /** Temp directory of this run (raw sockets, stats files). */
  root: string;
  /** The production server, started on first use and shared by the sections. */
  server(): Promise<RunningServer>;
  log(message: string): void;
  /** Record a fact worth reading beside the figures (e.g. how a section had to adapt). */
  note(message: string): void;
}

/** A section could not measure (data lost, server refused): the run exits non-zero. */
export class MeasureError extends Error {}

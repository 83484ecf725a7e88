import type { BenchContext, SectionResult } from '../context';

export async function browserSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  void ctx;
  void out;
  throw new Error('browser: not written yet');
}

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { WorktreeInfoSchema, type WorktreeInfo } from '../../lib/protocol';
import { logger } from '../logger';

/**
 * Every worktree the relay made, by worker name, in `<dataDir>/worktrees.json` (0600). Kept apart from
 * the worker records on purpose: a worktree outlives its worker (release keeps it, `remove` with keep
 * leaves it, `--storage memory` forgets the records), and `up` must still find it to list it.
 */

const FileSchema = z.object({ version: z.literal(1), worktrees: z.record(z.string(), WorktreeInfoSchema) });

export class WorktreeRegistry {
  private readonly entries = new Map<string, WorktreeInfo>();
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'worktrees.json');
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = FileSchema.parse(JSON.parse(text));
      for (const [name, info] of Object.entries(parsed.worktrees)) this.entries.set(name, info);
    } catch (err) {
      // Not fatal: git itself still knows the worktrees (`git worktree list`); say where the file is.
      logger.warn({ err, file: this.file }, 'worktree registry unreadable: worktrees made earlier are not listed until it is fixed or removed');
    }
  }

  get(name: string): WorktreeInfo | undefined {
    return this.entries.get(name);
  }

  all(): Array<[string, WorktreeInfo]> {
    return [...this.entries.entries()];
  }

  set(name: string, info: WorktreeInfo): void {
    this.entries.set(name, info);
    this.save();
  }

  delete(name: string): void {
    if (this.entries.delete(name)) this.save();
  }

  private save(): void {
    const body = { version: 1, worktrees: Object.fromEntries(this.entries) };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

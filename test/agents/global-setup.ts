import { installPinnedClis } from './harness/install';

/** vitest globalSetup: the real-agent tests need the pinned CLIs; install what is missing (idempotent, cached outside the repo). */
export default async function setup(): Promise<void> {
  await installPinnedClis({ log: (line) => console.log(`agent CLIs: ${line}`) });
}

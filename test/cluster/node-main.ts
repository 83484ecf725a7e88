import { startNodeStack } from './stack';

/**
 * A relay node in a process of its own, for the fault tests that kill one (SIGKILL) mid-flight.
 * argv: JSON options of startNodeStack. Prints one line `{"ready":true,"socketPath":…}` once
 * serving; SIGTERM stops it cleanly.
 */
const options = JSON.parse(process.argv[2] ?? '{}');
const stack = await startNodeStack(options);
process.stdout.write(`${JSON.stringify({ ready: true, socketPath: stack.socketPath, project: stack.project })}\n`);
process.on('SIGTERM', () => {
  void stack.stop({ keepDir: true }).then(() => process.exit(0));
});

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * Tells the relay that the CLI running us has our tools. Claude Code connects MCP servers in the
 * background, and a task typed before that gets a first turn without relay tools (it is offered a
 * `WaitForMcpServers` tool instead). So once we have *answered* a `tools/list` (the CLI now knows
 * relay_send & co.), we write the file named by AGENT_RELAY_MCP_READY, which the worker waits for
 * before typing its task. A file: the relay and this server share the machine and the data dir,
 * and it needs no change to the wire protocol.
 */
export function signalToolsListed(transport: Transport, readyFile: string | undefined, onError: (err: unknown) => void): void {
  if (!readyFile) return;
  const listRequests = new Set<string | number>();
  let done = false;
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'tools/list' && 'id' in message) listRequests.add(message.id);
    receive?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    await send(message, options);
    if (done || !('id' in message) || !('result' in message) || !listRequests.has(message.id)) return;
    done = true;
    writeReadyFile(readyFile, onError);
  };
}

/** The file that says our tools were listed (also written by the fast start, which answers tools/list itself). */
export function writeReadyFile(readyFile: string, onError: (err: unknown) => void): void {
  try {
    mkdirSync(dirname(readyFile), { recursive: true, mode: 0o700 });
    const tmp = `${readyFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, at: Date.now() })}\n`, { mode: 0o600 });
    renameSync(tmp, readyFile);
  } catch (err) {
    onError(err);
  }
}

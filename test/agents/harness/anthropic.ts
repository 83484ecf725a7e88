import { randomUUID } from 'node:crypto';
import { openSse, sendJson, startModelServer, type ModelServer, type Route } from './http';
import { ModelScript, type ModelRequest, holdBack, type Turn } from './script';

/**
 * Enough of the Anthropic Messages API for Claude Code (ANTHROPIC_BASE_URL): `POST /v1/messages`
 * (it adds `?beta=true`), streamed as SSE or as one JSON message, and `POST /v1/messages/count_tokens`.
 * Side requests (session titles and the like) come without tools and get the script's answer too.
 */

interface AnthropicBlock {
  type: string;
  text?: string;
  content?: string | AnthropicBlock[];
  tool_use_id?: string;
  is_error?: boolean;
  name?: string;
  id?: string;
  input?: unknown;
}
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicBlock[];
}
interface AnthropicBody {
  model?: string;
  stream?: boolean;
  system?: string | AnthropicBlock[];
  tools?: Array<{ name: string }>;
  messages?: AnthropicMessage[];
}

const blocksOf = (content: string | AnthropicBlock[] | undefined): AnthropicBlock[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []);

const textOf = (content: string | AnthropicBlock[] | undefined): string =>
  blocksOf(content)
    .map((b) => (b.type === 'text' ? (b.text ?? '') : b.type === 'tool_result' ? textOf(b.content) : ''))
    .filter(Boolean)
    .join('\n');

/** What a script needs from a Messages API body. */
export function anthropicRequest(body: AnthropicBody): ModelRequest {
  const messages = body.messages ?? [];
  const toolNames = new Map<string, string>();
  for (const m of messages) for (const b of blocksOf(m.content)) if (b.type === 'tool_use' && b.id && b.name) toolNames.set(b.id, b.name);
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const lastBlocks = blocksOf(last?.content);
  return {
    api: 'anthropic',
    model: body.model,
    system: textOf(body.system),
    tools: (body.tools ?? []).map((t) => t.name),
    lastUserText: lastBlocks.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n'),
    toolResults: lastBlocks
      .filter((b) => b.type === 'tool_result')
      .map((b) => ({ name: b.tool_use_id ? toolNames.get(b.tool_use_id) : undefined, text: textOf(b.content), ...(b.is_error ? { isError: true } : {}) })),
    transcript: messages.map((m) => textOf(m.content)).join('\n'),
  };
}

function contentBlocks(turn: Turn): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  if (turn.text) blocks.push({ type: 'text', text: turn.text });
  for (const call of turn.toolCalls ?? []) blocks.push({ type: 'tool_use', id: `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`, name: call.name, input: call.input });
  return blocks;
}

const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

const messagesRoute: Route = {
  method: 'POST',
  path: /^\/v1\/messages$/,
  async handle({ res, body, script, note }) {
    const b = (body ?? {}) as AnthropicBody;
    const request = anthropicRequest(b);
    const { turn, rule } = script.answer(request);
    note({ request, turn, rule });
    const blocks = contentBlocks(turn);
    const stopReason = turn.toolCalls?.length ? 'tool_use' : 'end_turn';
    const message = { id: `msg_${randomUUID().replace(/-/g, '')}`, type: 'message', role: 'assistant', model: b.model ?? 'claude-scripted', stop_sequence: null };
    if (!b.stream) {
      await holdBack(turn);
      sendJson(res, 200, { ...message, content: blocks, stop_reason: stopReason, usage });
      return;
    }
    const sse = openSse(res);
    sse.send('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
    await holdBack(turn);
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        sse.send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        sse.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
      } else {
        sse.send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        sse.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
      }
      sse.send('content_block_stop', { type: 'content_block_stop', index });
    });
    sse.send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    sse.send('message_stop', { type: 'message_stop' });
    sse.end();
  },
};

const countTokensRoute: Route = {
  method: 'POST',
  path: /^\/v1\/messages\/count_tokens$/,
  handle({ res }) {
    sendJson(res, 200, { input_tokens: 100 });
  },
};

export const ANTHROPIC_ROUTES: Route[] = [messagesRoute, countTokensRoute];

/** A scripted Anthropic endpoint; point Claude Code at it with `ANTHROPIC_BASE_URL=<url>`. */
export function startAnthropicServer(script = new ModelScript()): Promise<ModelServer> {
  return startModelServer(ANTHROPIC_ROUTES, script);
}

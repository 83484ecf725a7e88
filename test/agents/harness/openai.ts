import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { openSse, sendJson, startModelServer, type ModelServer, type Route } from './http';
import { ModelScript, type ModelRequest, holdBack, type Turn } from './script';

/**
 * Enough of the OpenAI Responses API for Codex (a custom `model_providers.<id>` with `base_url` and
 * `wire_api = "responses"`, harness/codex-home.ts): `POST /v1/responses`, streamed as SSE
 * (`response.created`, `response.output_item.added`, `response.output_text.delta`,
 * `response.output_item.done`, `response.completed` with usage).
 *
 * Codex 0.171 runs in "code mode": its tools are not a top-level `tools` list but an
 * `additional_tools` input item whose namespaces hold them, and every tool — the shell, MCP tools
 * such as `mcp__agent_relay__relay_send` — is called from JavaScript through its one custom tool
 * `exec`. So a script's tool call `{name, input}` is sent as an `exec` call running
 * `await tools.<name>(<input>)`, and the `exec` result that comes back is reported under `<name>`.
 * Codex's side request (the thread title: header `x-codex-turn-metadata` thread_source
 * "thread_title") is offered as a request without tools, like other APIs' side requests.
 */

interface ResponsesItem {
  type?: string;
  role?: string;
  content?: unknown;
  call_id?: string;
  output?: unknown;
  name?: string;
  tools?: ResponsesItem[];
}
interface ResponsesBody {
  model?: string;
  stream?: boolean;
  instructions?: string;
  tools?: ResponsesItem[];
  input?: ResponsesItem[];
}

/** Text of a content list (`[{type:'input_text', text}]`, output_text…) or a plain string. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => (c && typeof c === 'object' && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''))
    .filter(Boolean)
    .join('\n');
}

/** Tool names in a (possibly namespaced) tool list, leaves only. */
function toolNames(tools: ResponsesItem[] | undefined): string[] {
  return (tools ?? []).flatMap((t) => (t.type === 'namespace' ? toolNames(t.tools) : t.name ? [t.name] : []));
}

function turnMetadata(req: IncomingMessage): Record<string, unknown> {
  const header = req.headers['x-codex-turn-metadata'];
  if (typeof header !== 'string') return {};
  try {
    return JSON.parse(header) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const isToolOutput = (item: ResponsesItem) => item.type === 'custom_tool_call_output' || item.type === 'function_call_output';

/** What a script needs from a Responses API body; `calls` maps our call ids to the tool the script named. */
export function openaiRequest(body: ResponsesBody, options: { side: boolean; calls: Map<string, string> }): ModelRequest {
  const input = body.input ?? [];
  const developer = input.filter((i) => i.type === 'message' && (i.role === 'developer' || i.role === 'system')).map((i) => textOf(i.content));
  const offered = [...toolNames(body.tools), ...input.filter((i) => i.type === 'additional_tools').flatMap((i) => toolNames(i.tools))];
  let tail = input.length;
  while (tail > 0 && isToolOutput(input[tail - 1])) tail--;
  const toolResults = input.slice(tail).map((i) => ({ name: (i.call_id && options.calls.get(i.call_id)) || i.name, text: textOf(i.output) || String(i.output ?? '') }));
  const lastUser = [...input].reverse().find((i) => i.type === 'message' && i.role === 'user');
  return {
    api: 'openai',
    model: body.model,
    system: [body.instructions ?? '', ...developer].filter(Boolean).join('\n'),
    tools: options.side ? [] : offered,
    lastUserText: toolResults.length ? '' : textOf(lastUser?.content),
    toolResults,
    transcript: input.map((i) => textOf(i.content ?? i.output)).filter(Boolean).join('\n'),
  };
}

/** JavaScript for Codex's `exec` tool that calls one nested tool and returns its result to the model. */
export function execCall(name: string, input: Record<string, unknown>): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a tool name Codex exposes to exec (they are JavaScript identifiers, e.g. mcp__agent_relay__relay_send).`);
  return `const result = await tools.${name}(${JSON.stringify(input)});\ntext(JSON.stringify(result));`;
}

const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 120 };

function responsesRoute(calls: Map<string, string>): Route {
  return {
    method: 'POST',
    path: /^\/v1\/responses$/,
    async handle({ req, res, body, script, note }) {
      const b = (body ?? {}) as ResponsesBody;
      if (!Array.isArray(b.input)) {
        sendJson(res, 400, { error: { type: 'invalid_request_error', message: 'The scripted Responses server needs an `input` array.' } });
        return;
      }
      const side = (turnMetadata(req).thread_source ?? 'user') !== 'user';
      const request = openaiRequest(b, { side, calls });
      const { turn, rule } = script.answer(request);
      note({ request, turn, rule });
      const id = `resp_${randomUUID().replace(/-/g, '')}`;
      const sse = openSse(res);
      const event = (type: string, data: Record<string, unknown>) => sse.send(type, { type, ...data });
      event('response.created', { response: { id, object: 'response', status: 'in_progress', model: b.model, output: [] } });
      await holdBack(turn);
      const output = outputItems(turn, calls);
      output.forEach((item, index) => {
        if (item.type === 'message') {
          event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
          event('response.output_text.delta', { output_index: index, item_id: item.id, content_index: 0, delta: textOf(item.content) });
        } else {
          event('response.output_item.added', { output_index: index, item: { ...item, input: '', status: 'in_progress' } });
        }
        event('response.output_item.done', { output_index: index, item });
      });
      event('response.completed', { response: { id, object: 'response', status: 'completed', model: b.model, output, usage } });
      sse.end();
    },
  };
}

function outputItems(turn: Turn, calls: Map<string, string>): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  if (turn.text) {
    items.push({ type: 'message', id: `msg_${randomUUID().replace(/-/g, '')}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] });
  }
  for (const call of turn.toolCalls ?? []) {
    const callId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    calls.set(callId, call.name);
    // `exec` itself takes raw JavaScript: `{name: 'exec', input: {js}}`.
    const js = call.name === 'exec' ? String(call.input.js ?? '') : execCall(call.name, call.input);
    items.push({ type: 'custom_tool_call', id: `ctc_${callId}`, call_id: callId, name: 'exec', input: js, status: 'completed' });
  }
  return items;
}

/** A scripted Responses endpoint; point Codex at `<url>/v1` (harness/codex-home.ts). */
export function startOpenAIServer(script = new ModelScript()): Promise<ModelServer> {
  return startModelServer([responsesRoute(new Map())], script);
}

import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameParser, MESSAGE_TYPES, UNSUPPORTED_TYPES, encodeFrame } from '../../lib/protocol';
import { RawClient, env, sleep, startTestDaemon, type TestDaemon } from './helpers';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

/** Seeded, so a failing run can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

function header(n: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(n >>> 0, 0);
  return h;
}

const TYPES = [...MESSAGE_TYPES, ...UNSUPPORTED_TYPES, 'NOPE', '', 'hello'];
const WEIRD: unknown[] = [null, 0, -1, 1e308, '', 'x'.repeat(300), [], {}, { a: { b: [1, { c: null }] } }, true, '__proto__'];

/**
 * One mutated frame: random bytes, broken JSON, lying lengths, or a plausible envelope with bad
 * fields. `survivable` limits it to frames the connection outlives (answered, not closed), so a
 * connection's later frames are read too.
 */
function fuzzFrame(r: ReturnType<typeof prng>, survivable: boolean): Buffer {
  switch (survivable ? r.pick([4, 5, 6, 8]) : r.int(9)) {
    case 0: {
      const bytes = Buffer.alloc(1 + r.int(200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(256);
      return bytes;
    }
    case 1: {
      const json = JSON.stringify(env(r.pick(TYPES), { body: 'x' }, { to: 'fzB' }));
      const cut = Buffer.from(json.slice(0, r.int(json.length)));
      return Buffer.concat([header(cut.length), cut]);
    }
    case 2:
      return header(1_048_577 + r.int(1 << 30));
    case 3: {
      const body = Buffer.from(r.pick(['[]', 'null', '42', '"s"', '{}', '{"type":1}', '{"type":null}', 'true']));
      return Buffer.concat([header(body.length), body]);
    }
    case 4: {
      const json = Buffer.from(JSON.stringify({ v: survivable ? 1 : r.pick([1, 2, '1', undefined, null]), type: r.pick(TYPES), id: r.pick(WEIRD), ts: r.pick(WEIRD), payload: r.pick(WEIRD) }));
      return Buffer.concat([header(json.length), json]);
    }
    case 5: {
      // A valid-looking envelope with a bad payload for its type.
      const type = r.pick(['HELLO', 'SEND', 'ACK', 'SUBSCRIBE', 'STATUS', 'INBOX', 'MESSAGES_QUERY', 'LIST_AGENTS', 'SPAWN', 'RELEASE', 'SEND_INPUT', 'PONG', 'PING', 'NACK']);
      const payload = r.pick([
        { agent: r.pick(['fz ok', '', 'Dashboard', 'system', 'x'.repeat(80), `fz${r.int(50)}`, 42]) },
        { kind: 'shout', body: 1 }, { body: null }, { ack_id: 5 }, { limit: -3 }, { limit: 'all' }, { name: 'bad name', cli: '' },
        { includeIdle: 'yes' }, r.pick(WEIRD),
      ]);
      return encodeFrame({ v: 1, type, id: `fz-${r.int(1e9)}`, ts: Date.now(), payload, ...(r.int(2) ? { to: r.pick(['fzNobody', '*', '@users', '']) } : {}) });
    }
    case 6: {
      // No-HELLO SEND attempts with odd senders and recipients (never the well-behaved pair).
      return encodeFrame({ v: 1, type: 'SEND', id: `fz-${r.int(1e9)}`, ts: 1, from: r.pick(['Dashboard', 'system', 'fz1', '', 'bad name']), to: r.pick(['fzNobody', '*', '@users']), payload: { kind: 'message', body: 'fuzz' } });
    }
    case 7: {
      // A frame split at a random point and padded with garbage.
      const f = encodeFrame(env(r.pick(TYPES), r.pick(WEIRD)));
      return Buffer.concat([f.subarray(0, r.int(f.length)), Buffer.from([r.int(256), r.int(256)])]);
    }
    default:
      return encodeFrame(env(r.pick(TYPES), r.pick(WEIRD), { topic: r.pick([undefined, '', 't']) }));
  }
}

interface RoundResult {
  errors: number;
  answers: number;
}

/**
 * Throw `frames` at a fresh connection and count the answers. The survivable frames come first, then
 * a PING sentinel, then the last frame (any kind, often fatal). Frames are handled in order, so the
 * sentinel's PONG means every survivable frame has been answered, however loaded the machine is; the
 * last frame gets a short grace after it. (A fixed 150 ms window missed answers at load 10+.)
 */
function fuzzConnection(socketPath: string, frames: Buffer[], helloFirst: boolean): Promise<RoundResult> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const parser = new FrameParser();
    let errors = 0;
    let answers = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ errors, answers });
    };
    socket.on('error', () => {});
    socket.on('close', finish);
    const sentinel = `fuzz-end-${Math.random()}`;
    socket.on('data', (chunk) => {
      try {
        for (const f of parser.push(chunk)) {
          if (f.type === 'PONG' && (f.payload as { nonce?: unknown } | undefined)?.nonce === sentinel) {
            setTimeout(finish, 150);
            continue;
          }
          answers++;
          if (f.type === 'ERROR') errors++;
        }
      } catch {
        finish();
      }
    });
    socket.on('connect', () => {
      if (helloFirst) socket.write(encodeFrame(env('HELLO', { agent: `fz${Math.floor(Math.random() * 1e6)}` })));
      for (const f of frames.slice(0, -1)) if (!socket.destroyed) socket.write(f);
      if (!socket.destroyed) socket.write(encodeFrame(env('PING', { nonce: sentinel })));
      if (!socket.destroyed && frames.length > 0) socket.write(frames[frames.length - 1]);
      // A survivable frame that closed the connection ends it through 'close'; this only bounds a daemon that hangs.
      setTimeout(finish, 20_000);
    });
  });
}

describe('fuzz', () => {
  it('survives 10,000 random and mutated frames while a well-behaved client gets every message in order', { timeout: 180_000 }, async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 60_000 } });
    const good = await RawClient.hello(d.socketPath, 'Good');
    const producer = await RawClient.hello(d.socketPath, 'Producer');
    let acked = 0;
    good.socket.on('data', () => {
      for (const f of good.of('DELIVER').slice(acked)) {
        good.send(env('ACK', { ack_id: f.id, seq: (f.delivery as { seq: number }).seq }));
        acked++;
      }
    });
    // The heartbeat runs with the default period: answer PINGs so nothing but fuzz can close us.
    for (const c of [good, producer]) {
      let pinged = 0;
      c.socket.on('data', () => {
        for (const p of c.of('PING').slice(pinged)) {
          c.send(env('PONG', p.payload));
          pinged++;
        }
      });
    }

    let producing = true;
    let produced = 0;
    const production = (async () => {
      while (producing) {
        producer.send(env('SEND', { kind: 'message', body: `p${produced++}` }, { to: 'Good' }));
        await sleep(5);
      }
    })();

    const r = prng(0xfeed);
    const total = 10_000;
    const perConnection = 50;
    let thrown = 0;
    let errors = 0;
    let answers = 0;
    let next = 0;
    const worker = async () => {
      while (next < total / perConnection) {
        const i = next++;
        // Survivable frames first, then one of any kind (often fatal) to end the connection.
        const frames = Array.from({ length: perConnection }, (_, k) => fuzzFrame(r, k < perConnection - 1));
        thrown += frames.length;
        const result = await fuzzConnection(d!.socketPath, frames, i % 2 === 0);
        errors += result.errors;
        answers += result.answers;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    producing = false;
    await production;

    if (process.env.FUZZ_DEBUG) console.log({ thrown, errors, answers, produced });
    expect(thrown).toBe(total);
    // Most survivable frames are wrong in some way and each gets its own answer.
    expect(errors).toBeGreaterThan(total / 2);
    expect(answers).toBeGreaterThan(errors);
    // Counted by sender: fuzz connections broadcast too (to: '*'), and their DELIVERs must not make
    // the wait end before the producer's last message is in (207 of 208 at load 21).
    const fromProducer = () => good.of('DELIVER').filter((f) => f.from === 'Producer');
    await good.until(() => fromProducer().length >= produced || undefined, 30_000);
    const bodies = fromProducer().map((f) => (f.payload as { body: string }).body);
    expect(bodies).toEqual(Array.from({ length: produced }, (_, i) => `p${i}`));
    expect(good.closed).toBe(false);
    expect(producer.of('ERROR')).toHaveLength(0);

    // Still up and answering.
    const probe = await RawClient.hello(d.socketPath, 'After');
    const q = env('STATUS');
    probe.send(q);
    await probe.waitFor((f) => f.id === q.id);
    for (const c of [probe, good, producer]) c.close();
  });
});

import { performance } from 'node:perf_hooks';
import { SmtpClient, largeMessage, testMessage } from './smtp-client';
import { sleep } from './processes';

export interface ProbeResult {
  samples: number[]; // dot-to-250, ms
  accepted: number;
  errors: number;
  lastError: string | null;
}

/**
 * Sends one message at a time over its own connection while a load runs and
 * times each from the final dot to the 250. The pause between messages keeps
 * the probe a small share of the load.
 */
export function startProbe(port: number, from: string, to: string, payloadBytes: number, pauseMs = 20): { stop(): Promise<ProbeResult> } {
  const result: ProbeResult = { samples: [], accepted: 0, errors: 0, lastError: null };
  let stopping = false;
  const loop = (async () => {
    let client: SmtpClient | null = null;
    let i = 0;
    while (!stopping) {
      try {
        client ??= await SmtpClient.open('127.0.0.1', port);
        const r = await client.send(from, [to], [testMessage(`probe-${process.pid}-${Date.now()}-${i++}@bench.localhost`, from, to, payloadBytes)]);
        if (r.code === 250) {
          result.accepted++;
          result.samples.push(r.dotToReplyMs);
        } else {
          result.errors++;
          result.lastError = r.text;
        }
      } catch (e) {
        result.errors++;
        result.lastError = String(e);
        client?.destroy();
        client = null;
      }
      await sleep(pauseMs);
    }
    await client?.quit();
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return result;
    },
  };
}

export interface PacedResult {
  sent: number;
  accepted: number;
  errors: number;
  lastError: string | null;
  /** Message-ID → performance.now() of its 250. */
  acceptedAt: Map<string, number>;
  dotToReply: number[];
  elapsedMs: number;
}

/**
 * Offers `rate` messages per second for `seconds`, each on whichever pooled
 * connection is idle (a new one if none is), so that a slow answer does not
 * slow the offered rate.
 */
export async function pacedLoad(port: number, from: string, to: string, payloadBytes: number, rate: number, seconds: number, idPrefix: string): Promise<PacedResult> {
  const res: PacedResult = { sent: 0, accepted: 0, errors: 0, lastError: null, acceptedAt: new Map(), dotToReply: [], elapsedMs: 0 };
  const idle: SmtpClient[] = [];
  const all = new Set<SmtpClient>();
  const inflight = new Set<Promise<void>>();
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const id = `${idPrefix}-${i}@bench.localhost`;
    res.sent++;
    const p = (async () => {
      let c = idle.pop() ?? null;
      try {
        if (!c) {
          c = await SmtpClient.open('127.0.0.1', port);
          all.add(c);
        }
        const r = await c.send(from, [to], [testMessage(id, from, to, payloadBytes)]);
        if (r.code === 250) {
          res.accepted++;
          res.acceptedAt.set(id, r.repliedAt);
          res.dotToReply.push(r.dotToReplyMs);
        } else {
          res.errors++;
          res.lastError = r.text;
        }
        idle.push(c);
      } catch (e) {
        res.errors++;
        res.lastError = String(e);
        c?.destroy();
      }
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all([...inflight]);
  res.elapsedMs = performance.now() - t0;
  await Promise.all([...all].map((c) => c.quit()));
  return res;
}

export interface LargeResult {
  accepted: number;
  errors: string[];
  elapsedMs: number;
}

/** `count` concurrent connections, each sending one message of `bytes`. */
export async function concurrentLarge(port: number, from: string, to: string, count: number, bytes: number, idPrefix: string): Promise<LargeResult> {
  const t0 = performance.now();
  const errors: string[] = [];
  let accepted = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      let c: SmtpClient | null = null;
      try {
        c = await SmtpClient.open('127.0.0.1', port);
        const r = await c.send(from, [to], largeMessage(`${idPrefix}-${i}@bench.localhost`, from, to, bytes));
        if (r.code === 250) accepted++;
        else errors.push(r.text);
      } catch (e) {
        errors.push(String(e));
      } finally {
        await c?.quit();
      }
    }),
  );
  return { accepted, errors, elapsedMs: performance.now() - t0 };
}

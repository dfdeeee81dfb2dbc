import { parseReply } from '@app/smtp';
import { AttemptResult, classifyAttempt } from './delivery-outcome';
import { DestinationLimiter } from './destination-limiter';
import { hopLabel } from './next-hop';
import type { SendRequest, SendResult, SmtpSender } from './smtp-sender.port';

export interface ThrottleSettings {
  /** How long a transaction waits for a free slot before the attempt is deferred. */
  maxWaitMs: number;
  /** How long a destination that sent a rate-limit reply gets one connection at a time. */
  slowDownSeconds: number;
}

/**
 * Puts the per-destination limit in front of the real sender for internet
 * hops (a tenant's own upstreams are paced by the replay, not here), and
 * lowers a destination's limit when its replies ask us to slow down.
 */
export class ThrottledSmtpSender implements SmtpSender {
  constructor(private readonly inner: SmtpSender, private readonly limiter: DestinationLimiter, private readonly settings: ThrottleSettings) {}

  async send(req: SendRequest): Promise<SendResult> {
    if (req.hop.source === 'upstream') return this.inner.send(req);
    const key = req.hop.host.toLowerCase();
    const release = await this.limiter.acquire(key, this.settings.maxWaitMs);
    if (!release) {
      return { stage: 'connect', error: { kind: 'connection', errorCode: 'ETHROTTLED', message: `${hopLabel(req.hop)}: ${this.limiter.limitOf(key)} connections to this destination are busy` } };
    }
    try {
      const res = await this.inner.send(req);
      if (asksToSlowDown(res)) this.limiter.slowDown(key, Date.now() + this.settings.slowDownSeconds * 1000);
      return res;
    } finally {
      release();
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function asksToSlowDown(res: SendResult): boolean {
  const results: AttemptResult[] = res.stage === 'connect' ? [greetingReply(res.error)] : [res.final, ...res.rejected.map((r) => r.result)];
  return results.some((r) => classifyAttempt(r).retry === 'slow-down');
}

/** A destination that refuses the session with `421 4.7.0` says so in the greeting; the sender keeps that reply in its message. */
function greetingReply(e: AttemptResult): AttemptResult {
  if (e.kind !== 'connection') return e;
  const m = /\(([45]\d\d[ -][^)]*)\)\s*$/.exec(e.message);
  const parsed = m ? parseReply(m[1]) : null;
  return parsed ? { kind: 'reply', ...parsed } : e;
}

import { DestinationLimiter } from './destination-limiter';
import type { SendRequest, SendResult, SmtpSender } from './smtp-sender.port';
import { asksToSlowDown, ThrottledSmtpSender } from './throttled-smtp-sender';

const req = (host: string, source: 'mx' | 'upstream' = 'mx'): SendRequest => ({
  hop: { host, port: 25, tls: { kind: 'opportunistic' }, source },
  envelope: { from: 'a@b', to: ['c@d'], use8BitMime: false, smtputf8: false, size: 1 },
  openMessage: () => {
    throw new Error('not used');
  },
});
const ok: SendResult = { stage: 'transaction', accepted: ['c@d'], final: { kind: 'reply', code: 250, enhanced: '2.0.0', text: 'ok' }, rejected: [] };
const limited: SendResult = { stage: 'transaction', accepted: [], final: { kind: 'reply', code: 421, enhanced: '4.7.0', text: 'Try again later' }, rejected: [] };

describe('ThrottledSmtpSender', () => {
  it('holds each destination to its limit and defers when no slot comes free', async () => {
    let release!: () => void;
    const inner: SmtpSender = { send: () => new Promise((r) => (release = () => r(ok))), close: async () => undefined };
    const s = new ThrottledSmtpSender(inner, new DestinationLimiter(1), { maxWaitMs: 30, slowDownSeconds: 60 });
    const first = s.send(req('mx.a'));
    const second = await s.send(req('mx.a'));
    expect(second).toMatchObject({ stage: 'connect', error: { kind: 'connection', errorCode: 'ETHROTTLED' } });
    release();
    expect(await first).toBe(ok);
  });

  it('leaves upstream hops alone', async () => {
    let calls = 0;
    const inner: SmtpSender = { send: () => new Promise(() => calls++), close: async () => undefined };
    const s = new ThrottledSmtpSender(inner, new DestinationLimiter(1), { maxWaitMs: 10, slowDownSeconds: 60 });
    void s.send(req('exchange.tenant', 'upstream'));
    void s.send(req('exchange.tenant', 'upstream'));
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
  });

  it('lowers a destination to one connection after a rate-limit reply', async () => {
    const limiter = new DestinationLimiter(5);
    const s = new ThrottledSmtpSender({ send: async () => limited, close: async () => undefined }, limiter, { maxWaitMs: 10, slowDownSeconds: 60 });
    await s.send(req('mx.busy'));
    expect(limiter.limitOf('mx.busy')).toBe(1);
    expect(limiter.limitOf('mx.other')).toBe(5);
  });

  it('reads a rate-limit greeting out of a connect failure', () => {
    expect(asksToSlowDown({ stage: 'connect', error: { kind: 'connection', errorCode: 'EPROTOCOL', message: 'mx.a:25: Invalid greeting (421 4.7.0 Too many connections)' } })).toBe(true);
    expect(asksToSlowDown({ stage: 'connect', error: { kind: 'connection', errorCode: 'ECONNREFUSED', message: 'mx.a:25: connect ECONNREFUSED' } })).toBe(false);
    expect(asksToSlowDown(ok)).toBe(false);
  });
});

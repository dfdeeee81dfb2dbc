import { classifyAttempt, describeAttempt, AttemptResult } from './delivery-outcome';

const reply = (code: number, enhanced: string | null, text = 'x'): AttemptResult => ({ kind: 'reply', code, enhanced, text });

describe('classifyAttempt', () => {
  it('treats 2xx as delivered', () => {
    expect(classifyAttempt(reply(250, '2.0.0', 'Ok')).outcome).toBe('delivered');
  });
  it('retries 4xx and keeps the hop’s enhanced code', () => {
    expect(classifyAttempt(reply(451, '4.3.0'))).toMatchObject({ outcome: 'retry', status: '4.3.0' });
    expect(classifyAttempt(reply(421, null))).toMatchObject({ outcome: 'retry', status: '4.0.0' });
  });
  it('bounces 5xx with the hop’s enhanced code', () => {
    expect(classifyAttempt(reply(550, '5.1.1', 'User unknown'))).toMatchObject({ outcome: 'bounce', status: '5.1.1' });
    expect(classifyAttempt(reply(554, null))).toMatchObject({ outcome: 'bounce', status: '5.0.0' });
  });
  it('retries a full mailbox and 552 as "too many recipients" (RFC 5321 §4.5.3.1.10)', () => {
    expect(classifyAttempt(reply(552, '5.2.2', 'Mailbox full'))).toMatchObject({ outcome: 'retry', status: '4.2.2' });
    expect(classifyAttempt(reply(552, null, 'Quota exceeded, mailbox full'))).toMatchObject({ outcome: 'retry' });
    expect(classifyAttempt(reply(552, '5.3.4', 'Message too big'))).toMatchObject({ outcome: 'bounce', status: '5.3.4' });
  });
  it('retries connection failures', () => {
    expect(classifyAttempt({ kind: 'connection', errorCode: 'ECONNREFUSED', message: 'refused' })).toMatchObject({ outcome: 'retry', status: '4.4.2' });
    expect(classifyAttempt({ kind: 'connection', errorCode: 'ETLS', message: 'bad cert' })).toMatchObject({ outcome: 'retry', status: '4.7.5' });
    expect(classifyAttempt({ kind: 'connection', errorCode: 'ETIMEDOUT', message: 't' })).toMatchObject({ outcome: 'retry', status: '4.4.1' });
  });
  it('bounces a null MX and a domain that does not exist, retries DNS trouble', () => {
    expect(classifyAttempt({ kind: 'route', reason: 'null-mx', message: '' })).toMatchObject({ outcome: 'bounce', status: '5.1.10' });
    expect(classifyAttempt({ kind: 'route', reason: 'no-such-domain', message: '' })).toMatchObject({ outcome: 'bounce', status: '5.1.2' });
    expect(classifyAttempt({ kind: 'route', reason: 'dns-temporary', message: '' }).outcome).toBe('retry');
    expect(classifyAttempt({ kind: 'route', reason: 'no-upstream', message: '' }).outcome).toBe('retry');
    // An upstream refused for resolving into a private network waits for its configuration to be fixed; never a bounce.
    expect(classifyAttempt({ kind: 'route', reason: 'upstream-not-public', message: 'upstream evil.example.com resolves to a non-public address 127.0.0.1; refused' })).toMatchObject({ outcome: 'retry', status: '4.4.4', rule: 'upstream-not-public' });
  });
  it('describes an attempt on one line', () => {
    expect(describeAttempt(reply(550, '5.1.1', '<a@b>: unknown'))).toBe('550 5.1.1 <a@b>: unknown');
    expect(describeAttempt({ kind: 'connection', errorCode: 'ECONNREFUSED', message: 'h:25 refused' })).toBe('ECONNREFUSED: h:25 refused');
  });
});

describe('greylisting and rate limits (bounce classification as data)', () => {
  it('retries greylisting replies soon, not by the full backoff', () => {
    expect(classifyAttempt(reply(451, '4.7.1', 'Greylisted, please try again later'))).toMatchObject({ outcome: 'retry', retry: 'greylist', rule: 'greylisted-text' });
    expect(classifyAttempt(reply(450, '4.2.0', 'Recipient address rejected: Greylisted for 300 seconds'))).toMatchObject({ outcome: 'retry', retry: 'greylist' });
    expect(classifyAttempt(reply(451, '4.7.1', 'Try again later'))).toMatchObject({ outcome: 'retry', retry: 'greylist', rule: 'greylisted-451' });
  });

  it('slows down for rate-limit replies', () => {
    expect(classifyAttempt(reply(421, '4.7.0', 'Try again later, closing connection'))).toMatchObject({ outcome: 'retry', retry: 'slow-down', status: '4.7.0' });
    expect(classifyAttempt(reply(450, '4.7.1', 'Try later'))).toMatchObject({ outcome: 'retry', retry: 'slow-down' });
    expect(classifyAttempt(reply(451, '4.7.1', 'Our system has detected an unusual rate of unsolicited mail'))).toMatchObject({ retry: 'slow-down', rule: 'rate-limited-text' });
    expect(classifyAttempt(reply(421, '4.7.28', 'Gmail has detected an unusual rate of mail'))).toMatchObject({ retry: 'slow-down' });
    // too many recipients in one transaction is no reason to wait long
    expect(classifyAttempt(reply(452, '4.5.3', 'Too many recipients'))).toMatchObject({ outcome: 'retry', retry: 'backoff' });
  });

  it('keeps ordinary temporary failures on the backoff, and an enforced MTA-STS policy without a valid MX waiting', () => {
    expect(classifyAttempt(reply(451, '4.3.0', 'Local error'))).toMatchObject({ outcome: 'retry', retry: 'backoff' });
    expect(classifyAttempt({ kind: 'route', reason: 'mta-sts', message: 'x' })).toMatchObject({ outcome: 'retry', status: '4.7.5' });
    expect(classifyAttempt({ kind: 'connection', errorCode: 'ETHROTTLED', message: 'busy' })).toMatchObject({ outcome: 'retry', rule: 'destination-busy', retry: 'backoff' });
  });
});

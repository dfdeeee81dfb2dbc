import { aggregateEvidence, allUpstreamsFailing, classifyObservation, UpstreamStreak } from './upstream-evidence';

const t = (s: number) => new Date(1_764_000_000_000 + s * 1000);

describe('classifyObservation', () => {
  it('counts connection failures and 4.3.x / 4.4.x replies as failures, a 2xx as healthy, the rest as nothing', () => {
    expect(classifyObservation({ kind: 'connection', errorCode: 'ECONNREFUSED', message: 'refused' })).toBe('failure');
    expect(classifyObservation({ kind: 'connection', errorCode: 'ETIMEDOUT', message: 'timeout' })).toBe('failure');
    expect(classifyObservation({ kind: 'reply', code: 421, enhanced: '4.3.2', text: 'not available' })).toBe('failure');
    expect(classifyObservation({ kind: 'reply', code: 451, enhanced: '4.4.1', text: 'no answer from host' })).toBe('failure');
    expect(classifyObservation({ kind: 'reply', code: 421, enhanced: null, text: 'closing' })).toBe('failure');
    expect(classifyObservation({ kind: 'reply', code: 250, enhanced: '2.0.0', text: 'ok' })).toBe('healthy');
    expect(classifyObservation({ kind: 'reply', code: 451, enhanced: '4.2.1', text: 'mailbox busy' })).toBe('neutral');
    expect(classifyObservation({ kind: 'reply', code: 452, enhanced: '4.5.3', text: 'too many recipients' })).toBe('neutral');
    expect(classifyObservation({ kind: 'reply', code: 550, enhanced: '5.1.1', text: 'unknown user' })).toBe('neutral');
    expect(classifyObservation({ kind: 'route', reason: 'no-upstream', message: 'none' })).toBe('neutral');
    // A refused upstream is a configuration error, not a sign that the tenant's Exchange is down.
    expect(classifyObservation({ kind: 'route', reason: 'upstream-not-public', message: 'upstream evil.example.com resolves to a non-public address 127.0.0.1; refused' })).toBe('neutral');
  });
});

describe('aggregateEvidence', () => {
  const failing = (id: string, n: number, first: number, last: number, groupId = 'g'): UpstreamStreak => ({ upstreamId: id, groupId, lastOk: false, consecutiveFailures: n, firstFailureAt: t(first), lastFailureAt: t(last), healthySince: null });
  const healthy = (id: string, since: number, groupId = 'g'): UpstreamStreak => ({ upstreamId: id, groupId, lastOk: true, consecutiveFailures: 0, firstFailureAt: null, lastFailureAt: null, healthySince: t(since) });
  const never = (id: string): UpstreamStreak => ({ upstreamId: id, groupId: 'g', lastOk: null, consecutiveFailures: 0, firstFailureAt: null, lastFailureAt: null, healthySince: null });

  it('is failing only when every upstream fails, with the streak they share', () => {
    expect(aggregateEvidence([failing('a', 5, 0, 100), failing('b', 3, 20, 90)])).toEqual({ kind: 'failing', consecutiveFailures: 3, firstFailureAt: t(20), lastFailureAt: t(90) });
  });

  it('is healthy as soon as one upstream answers, since the earliest healthy one', () => {
    expect(aggregateEvidence([failing('a', 5, 0, 100), healthy('b', 50), healthy('c', 10)])).toEqual({ kind: 'healthy', since: t(10) });
  });

  it('says nothing without observations', () => {
    expect(aggregateEvidence([])).toBeNull();
    expect(aggregateEvidence([failing('a', 5, 0, 100), never('b')])).toBeNull();
  });

  it('allUpstreamsFailing needs every upstream failing', () => {
    expect(allUpstreamsFailing([failing('a', 1, 0, 0), failing('b', 1, 0, 0)])).toBe(true);
    expect(allUpstreamsFailing([failing('a', 1, 0, 0), healthy('b', 0)])).toBe(false);
    expect(allUpstreamsFailing([failing('a', 1, 0, 0), never('b')])).toBe(false);
    expect(allUpstreamsFailing([])).toBe(false);
  });
});

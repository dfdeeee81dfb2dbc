import { isTemporaryFailure, smsRetryDelaySeconds } from './sms-error-classification';

describe('isTemporaryFailure', () => {
  it('retries rate limits, provider errors and failures without an answer', () => {
    expect(isTemporaryFailure({ status: 429, code: 20429 })).toBe(true);
    expect(isTemporaryFailure({ status: 500, code: 20500 })).toBe(true);
    expect(isTemporaryFailure({ status: 503 })).toBe(true);
    expect(isTemporaryFailure({ networkCode: 'ECONNREFUSED' })).toBe(true);
    expect(isTemporaryFailure({ networkCode: 'ETIMEDOUT' })).toBe(true);
  });

  it('does not retry invalid or unreachable numbers, whatever the status', () => {
    expect(isTemporaryFailure({ status: 400, code: 21211 })).toBe(false);
    expect(isTemporaryFailure({ status: 400, code: '21614' })).toBe(false);
    expect(isTemporaryFailure({ status: 500, code: 21610 })).toBe(false);
    expect(isTemporaryFailure({ status: 400, code: 21999 })).toBe(false);
  });

  it('waits out authentication failures, which an operator fixes', () => {
    expect(isTemporaryFailure({ status: 401, code: 20003 })).toBe(true);
  });
});

describe('smsRetryDelaySeconds', () => {
  it('doubles from the base and stops at an hour', () => {
    expect([1, 2, 3, 4].map((a) => smsRetryDelaySeconds(a, 30))).toEqual([30, 60, 120, 240]);
    expect(smsRetryDelaySeconds(20, 30)).toBe(3600);
  });
});

import { stateFromTwilioStatus } from './provider-status';

describe('stateFromTwilioStatus', () => {
  it('maps final states and ignores interim ones', () => {
    expect(stateFromTwilioStatus('delivered')).toBe('delivered');
    expect(stateFromTwilioStatus('undelivered')).toBe('undelivered');
    expect(stateFromTwilioStatus('failed')).toBe('failed');
    expect(stateFromTwilioStatus('sent')).toBe('sent');
    expect(stateFromTwilioStatus('queued')).toBeNull();
    expect(stateFromTwilioStatus('sending')).toBeNull();
    expect(stateFromTwilioStatus(undefined)).toBeNull();
  });
});

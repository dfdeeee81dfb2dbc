import { validateRequest } from 'twilio';
import { twilioSignature } from './twilio-standin';

describe('twilioSignature', () => {
  it('is what the official SDK validates', () => {
    const url = 'https://api.example/twilio/status';
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered', To: '+491701234567' };
    const sig = twilioSignature('token', url, params);
    expect(validateRequest('token', sig, url, params)).toBe(true);
    expect(validateRequest('other', sig, url, params)).toBe(false);
  });
});

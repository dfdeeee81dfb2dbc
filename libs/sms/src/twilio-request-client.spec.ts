import { rewriteTwilioUri } from './twilio-request-client';

describe('rewriteTwilioUri', () => {
  const uri = 'https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json?PageSize=1';

  it('moves the request to the configured base, keeping path and query', () => {
    expect(rewriteTwilioUri(uri, new URL('http://127.0.0.1:4010'))).toBe('http://127.0.0.1:4010/2010-04-01/Accounts/AC123/Messages.json?PageSize=1');
  });

  it('keeps a path prefix of the base', () => {
    expect(rewriteTwilioUri(uri, new URL('https://sms-gw.example/twilio/'))).toBe('https://sms-gw.example/twilio/2010-04-01/Accounts/AC123/Messages.json?PageSize=1');
  });

  it('leaves Twilio itself as it is', () => {
    expect(rewriteTwilioUri(uri, new URL('https://api.twilio.com'))).toBe(uri);
  });
});

import { fromDomainOf, shouldSign } from './outgoing-message';

describe('outgoing message decisions', () => {
  it('finds the From domain in a header section, folded or with a display name', () => {
    expect(fromDomainOf(Buffer.from('Subject: x\r\nFrom: "Ann, Sales" <Ann@Sender.Example>\r\n\r\nFrom: body@not.this\r\n'))).toBe('sender.example');
    expect(fromDomainOf(Buffer.from('From:\r\n bob@folded.example\r\nTo: x@y\r\n\r\n'))).toBe('folded.example');
    expect(fromDomainOf(Buffer.from('From: MAILER-DAEMON@mx.service.test\n\nbody'))).toBe('mx.service.test');
    expect(fromDomainOf(Buffer.from('Subject: no from\r\n\r\n'))).toBeNull();
    expect(fromDomainOf(Buffer.from('From: undisclosed\r\n\r\n'))).toBeNull();
  });

  it('signs what we originate and what tenants ask us to sign, never inbound mail', () => {
    expect(shouldSign({ direction: 'dsn', signDkim: false, tenantSignsFromDomain: false })).toBe(true);
    expect(shouldSign({ direction: 'outbound', signDkim: true, tenantSignsFromDomain: false })).toBe(true);
    expect(shouldSign({ direction: 'outbound', signDkim: false, tenantSignsFromDomain: true })).toBe(true);
    expect(shouldSign({ direction: 'outbound', signDkim: false, tenantSignsFromDomain: false })).toBe(false);
    expect(shouldSign({ direction: 'inbound', signDkim: true, tenantSignsFromDomain: true })).toBe(false);
  });
});

import { addressLiteral, buildReceivedHeader, rfc5322Date } from './received-header';
import { newQueueId, QUEUE_ID_PATTERN } from './queue-id';

const date = new Date(Date.UTC(2026, 10, 25, 16, 41, 37));

describe('buildReceivedHeader', () => {
  it('names the client, us, the protocol, the queue id and the single recipient', () => {
    const h = buildReceivedHeader({ helo: 'client.example', clientAddress: '192.0.2.1', by: 'mx.example', protocol: 'ESMTPS', tls: 'TLSv1.3:TLS_AES_256_GCM_SHA384', queueId: 'ABC123', recipient: 'u@example.com', date });
    expect(h).toBe(
      'Received: from client.example ([192.0.2.1])\r\n' +
        '\tby mx.example with ESMTPS (TLSv1.3:TLS_AES_256_GCM_SHA384) id ABC123\r\n' +
        '\tfor <u@example.com>; Wed, 25 Nov 2026 16:41:37 +0000\r\n',
    );
  });

  it('leaves out `for` when there is no single recipient', () => {
    const h = buildReceivedHeader({ helo: 'c', clientAddress: '192.0.2.1', by: 'mx', protocol: 'ESMTP', queueId: 'Q', recipient: null, date });
    expect(h).toBe('Received: from c ([192.0.2.1])\r\n\tby mx with ESMTP id Q; Wed, 25 Nov 2026 16:41:37 +0000\r\n');
  });

  it('cannot be broken by a hostile HELO or recipient', () => {
    const h = buildReceivedHeader({ helo: 'evil\r\nX-Injected: yes (x)', clientAddress: '192.0.2.1', by: 'mx', protocol: 'ESMTP', queueId: 'Q', recipient: 'a\r\nB: c@d>', date });
    expect(h.split('\r\n').filter(Boolean)).toHaveLength(3);
    expect(h).not.toMatch(/\r\nX-Injected/);
    expect(h).toContain('from evilX-Injected:yes');
  });

  it('uses address literals for IPv6 and unwraps IPv4-mapped addresses', () => {
    expect(addressLiteral('2001:db8::1')).toBe('[IPv6:2001:db8::1]');
    expect(addressLiteral('::ffff:192.0.2.7')).toBe('[192.0.2.7]');
  });

  it('records SMTPUTF8 sessions as UTF8SMTP', () => {
    const h = buildReceivedHeader({ helo: 'c', clientAddress: '192.0.2.1', by: 'mx', protocol: 'ESMTPS', smtputf8: true, queueId: 'Q', date });
    expect(h).toContain('with UTF8SMTPS id Q');
  });

  it('writes RFC 5322 dates', () => {
    expect(rfc5322Date(date)).toBe('Wed, 25 Nov 2026 16:41:37 +0000');
  });
});

describe('newQueueId', () => {
  it('is 16 upper-case characters, unique, and sorts by time', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newQueueId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(QUEUE_ID_PATTERN);
    expect(newQueueId(1_000_000) < newQueueId(2_000_000)).toBe(true);
  });
});

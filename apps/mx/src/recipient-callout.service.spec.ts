import selfsigned from 'selfsigned';
import type { PeerCertificate } from 'node:tls';
import { CalloutCache, calloutConnectionOptions, NodemailerRcptProbe } from './recipient-callout.service';

describe('calloutConnectionOptions', () => {
  const u = { host: 'exchange.example', port: 25, priority: 10, pinnedCertPem: null };

  it('talks plain SMTP for policy none', () => {
    const o = calloutConnectionOptions({ ...u, tlsPolicy: 'none' }, 'mx', 1000);
    expect(o.ignoreTLS).toBe(true);
    expect(o.requireTLS).toBeUndefined();
  });

  it('requires STARTTLS with certificate and name verification for policy verify', () => {
    const o = calloutConnectionOptions({ ...u, tlsPolicy: 'verify' }, 'mx', 1000);
    expect(o.requireTLS).toBe(true);
    expect(o.tls).toMatchObject({ rejectUnauthorized: true, servername: 'exchange.example' });
  });

  it('trusts only the pinned certificate, and only its exact fingerprint, for policy pinned', async () => {
    const pem = (await selfsigned.generate([{ name: 'commonName', value: 'exchange.example' }], { keyType: 'ec', curve: 'P-256' })).cert;
    const other = (await selfsigned.generate([{ name: 'commonName', value: 'exchange.example' }], { keyType: 'ec', curve: 'P-256' })).cert;
    const { X509Certificate } = await import('node:crypto');
    const o = calloutConnectionOptions({ ...u, host: '192.0.2.5', tlsPolicy: 'pinned', pinnedCertPem: pem }, 'mx', 1000);
    expect(o.requireTLS).toBe(true);
    expect(o.tls?.ca).toEqual([pem]);
    expect(o.tls?.servername).toBeUndefined();
    const check = o.tls?.checkServerIdentity as (h: string, c: PeerCertificate) => Error | undefined;
    expect(check('192.0.2.5', { fingerprint256: new X509Certificate(pem).fingerprint256 } as PeerCertificate)).toBeUndefined();
    expect(check('192.0.2.5', { fingerprint256: new X509Certificate(other).fingerprint256 } as PeerCertificate)).toBeInstanceOf(Error);
  });
});

describe('CalloutCache', () => {
  it('forgets entries after their time and evicts the oldest when full', () => {
    let now = 0;
    const c = new CalloutCache(100, 2, () => now);
    c.set('a', 'accepted');
    c.set('b', 'refused');
    expect(c.get('a')).toBe('accepted');
    c.set('c', 'accepted');
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe('refused');
    now = 100;
    expect(c.get('b')).toBeUndefined();
  });
});

describe('NodemailerRcptProbe', () => {
  it('never asks an upstream whose name resolves to a non-public address', async () => {
    const asked: string[] = [];
    const probe = new NodemailerRcptProbe({ addressesOf: async (host) => (asked.push(host), ['169.254.169.254']) });
    const upstream = { host: 'exchange.customer.example', port: 25, priority: 10, tlsPolicy: 'none' as const, pinnedCertPem: null, privateAddressAllowed: false };
    await expect(probe.probe(upstream, 'someone@customer.example', { heloName: 'mx', timeoutMs: 1000 })).rejects.toThrow('upstream exchange.customer.example resolves to a non-public address 169.254.169.254; refused');
    expect(asked).toEqual(['exchange.customer.example']);
  });
});

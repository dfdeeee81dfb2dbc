import { Readable } from 'node:stream';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { generateDkimKey } from './dkim-keys';
import { signMessage } from './dkim-signer';

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('signMessage', () => {
  const rsa = generateDkimKey('rsa');
  const ed = generateDkimKey('ed25519');
  const records: Record<string, string> = {
    'r1._domainkey.example.com': `v=DKIM1; k=rsa; p=${rsa.publicKey}`,
    'e1._domainkey.example.com': `v=DKIM1; k=ed25519; p=${ed.publicKey}`,
  };
  const resolver = async (name: string, type: string) => {
    const v = records[name];
    if (type !== 'TXT' || !v) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    const parts: string[] = [];
    for (let i = 0; i < v.length; i += 255) parts.push(v.slice(i, i + 255));
    return [parts];
  };
  const raw = 'From: Ann <ann@example.com>\r\nTo: bob@example.org\r\nSubject: Quarterly figures\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <q1@example.com>\r\n\r\nHello Bob,\r\nthe figures.\r\n';

  afterEach(() => jest.restoreAllMocks());

  it('adds an RSA and an Ed25519 signature that both verify', async () => {
    const signed = await collect(signMessage(Readable.from([Buffer.from(raw)]), [
      { domain: 'example.com', selector: 'r1', algorithm: 'rsa', privateKeyPem: rsa.privateKeyPem },
      { domain: 'example.com', selector: 'e1', algorithm: 'ed25519', privateKeyPem: ed.privateKeyPem },
    ], { cacheDir: false, cacheThresholdBytes: 1 << 20 }));
    expect(signed.subarray(signed.length - raw.length).toString()).toBe(raw);
    const res = await dkimVerify(signed, { resolver });
    expect(res.results.map((r) => [r.selector, r.status?.result]).sort()).toEqual([['e1', 'pass'], ['r1', 'pass']]);
  });

  it('signs the same t= it publishes even when the clock ticks into the next second while signing', async () => {
    // mailauth's signer reads the clock once for the signed copy of the
    // header and again for the copy it writes unless it is given a signing
    // time; a second boundary in between made about one signature in a
    // thousand fail. A clock that moves a second at every reading makes that
    // boundary certain.
    const start = Date.now();
    let calls = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => start + 1000 * calls++);
    const signed = await collect(signMessage(Readable.from([Buffer.from(raw)]), [{ domain: 'example.com', selector: 'e1', algorithm: 'ed25519', privateKeyPem: ed.privateKeyPem }], { cacheDir: false, cacheThresholdBytes: 1 << 20 }));
    jest.restoreAllMocks();
    const res = await dkimVerify(signed, { resolver });
    expect(res.results).toHaveLength(1);
    expect(res.results[0].status?.result).toBe('pass');
  });
});

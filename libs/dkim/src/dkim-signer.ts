import { Readable } from 'node:stream';
import DKIM from 'nodemailer/lib/dkim';
import { DkimSignStream } from 'mailauth/lib/dkim/sign';
import type { SigningKey } from './dkim-keys.service';

export interface DkimSignerOptions {
  /** Bodies larger than this are buffered in cacheDir instead of memory while the body hash is computed. */
  cacheDir: string | false;
  cacheThresholdBytes: number;
}

/**
 * Adds DKIM-Signature header fields to a raw message stream. RSA keys sign
 * through nodemailer's DKIM class (relaxed/relaxed, rsa-sha256, bodies over
 * the threshold cached on disk). nodemailer signs RSA only, so Ed25519 keys
 * (RFC 8463) sign through mailauth's signer, which holds the message in
 * memory; that is why Ed25519 is an addition to RSA, never the only key.
 */
export function signMessage(input: Readable, keys: SigningKey[], opts: DkimSignerOptions): Readable {
  let out: Readable = input;
  const ed = keys.filter((k) => k.algorithm === 'ed25519');
  const rsa = keys.filter((k) => k.algorithm === 'rsa');
  if (ed.length) {
    const edStream = new DkimSignStream({
      // Without a fixed signing time mailauth reads the clock twice, and a
      // second boundary in between publishes a t= other than the one signed.
      signTime: new Date(),
      signingDomain: ed[0].domain,
      selector: ed[0].selector,
      privateKey: ed[0].privateKeyPem,
      signatureData: ed.map((k) => ({ signingDomain: k.domain, selector: k.selector, privateKey: k.privateKeyPem, algorithm: 'ed25519-sha256', canonicalization: 'relaxed/relaxed' })),
    });
    input.on('error', (e) => edStream.destroy(e));
    out = input.pipe(edStream);
  }
  if (rsa.length) {
    const signer = new DKIM({
      keys: rsa.map((k) => ({ domainName: k.domain, keySelector: k.selector, privateKey: k.privateKeyPem })),
      cacheDir: opts.cacheDir,
      cacheTreshold: opts.cacheThresholdBytes,
    });
    out = signer.sign(out);
  }
  return out;
}

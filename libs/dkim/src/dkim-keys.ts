import { createPublicKey, generateKeyPairSync } from 'node:crypto';

export type DkimAlgorithm = 'rsa' | 'ed25519';

/**
 * pending   generated; its TXT record is to be published; does not sign yet
 * active    seen in DNS; signs (one per domain and algorithm)
 * retiring  replaced by a newer key; stays published for the overlap so mail signed with it still verifies
 * retired   may be removed from DNS
 */
export type DkimKeyState = 'pending' | 'active' | 'retiring' | 'retired';

export interface GeneratedKey {
  algorithm: DkimAlgorithm;
  bits: number | null;
  /** The `p=` value: base64 of the SubjectPublicKeyInfo (RSA) or of the raw 32-byte key (Ed25519, RFC 8463). */
  publicKey: string;
  privateKeyPem: string;
}

export function generateDkimKey(algorithm: DkimAlgorithm, bits = 2048): GeneratedKey {
  if (algorithm === 'rsa') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
    return { algorithm, bits, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // RFC 8463 §4.2: p= carries the bare 32-byte key, not the SPKI structure.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return { algorithm, bits: null, publicKey: raw.toString('base64'), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Checks that a private key belongs to a published `p=` value (used by tests and by `dkim show --verify`). */
export function publicKeyOf(privateKeyPem: string, algorithm: DkimAlgorithm): string {
  const der = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return (algorithm === 'ed25519' ? der.subarray(-32) : der).toString('base64');
}

/**
 * Selectors name the month and a counter, `mc<yyyymm><n>` (e.g. mc2025111),
 * with an `e` for Ed25519 keys (mc2025111e), so a record in DNS tells when it
 * was made and never collides with an earlier one.
 */
export function nextSelector(now: Date, algorithm: DkimAlgorithm, existing: string[]): string {
  const month = `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const suffix = algorithm === 'ed25519' ? 'e' : '';
  const taken = new Set(existing.map((s) => s.toLowerCase()));
  for (let n = 1; ; n++) {
    const s = `mc${month}${n}${suffix}`;
    if (!taken.has(s)) return s;
  }
}

export interface DnsRecordToPublish {
  /** Owner name: `<selector>._domainkey.<domain>`. */
  name: string;
  type: 'TXT';
  /** The record's text, e.g. `v=DKIM1; k=rsa; p=MIIB…`. */
  value: string;
}

export function dkimDnsRecord(domain: string, selector: string, algorithm: DkimAlgorithm, publicKey: string): DnsRecordToPublish {
  return { name: `${selector}._domainkey.${domain}`, type: 'TXT', value: `v=DKIM1; k=${algorithm}; p=${publicKey}` };
}

/**
 * Splits a long TXT value into strings of at most 255 octets, the form most
 * DNS providers' zone files want (`"v=DKIM1; …" "…"`).
 */
export function txtChunks(value: string, size = 255): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out;
}

/** Whether TXT answers (each a list of strings, joined as RFC 7208 §3.3 says) carry this key. */
export function publishedIn(answers: string[][], publicKey: string): boolean {
  return answers.some((strings) => {
    const tags = parseTags(strings.join(''));
    return (tags.v === undefined || tags.v === 'DKIM1') && (tags.p ?? '').replace(/\s+/g, '') === publicKey;
  });
}

function parseTags(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export interface KeyForRotation {
  id: string;
  algorithm: DkimAlgorithm;
  state: DkimKeyState;
  createdAt: Date;
  retiringSince: Date | null;
}

export type RotationStep =
  | { kind: 'activate'; id: string }
  | { kind: 'retire-start'; id: string }
  | { kind: 'retire'; id: string };

/**
 * What a check changes, given which pending keys are now seen in DNS: a seen
 * pending key becomes active and the key it replaces (same algorithm) starts
 * retiring; a retiring key whose overlap has passed is retired. Pure, so the
 * rules are tested without DNS or a database.
 */
export function rotationSteps(keys: KeyForRotation[], seenPending: Set<string>, now: Date, overlapSeconds: number): RotationStep[] {
  const steps: RotationStep[] = [];
  for (const algorithm of ['rsa', 'ed25519'] as DkimAlgorithm[]) {
    const mine = keys.filter((k) => k.algorithm === algorithm);
    // The newest seen pending key wins; older pending ones that are seen too are superseded at once.
    const seen = mine.filter((k) => k.state === 'pending' && seenPending.has(k.id)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    if (seen.length) {
      steps.push({ kind: 'activate', id: seen[0].id });
      for (const k of mine) if (k.state === 'active') steps.push({ kind: 'retire-start', id: k.id });
      for (const k of seen.slice(1)) steps.push({ kind: 'retire-start', id: k.id });
    }
    for (const k of mine) {
      if (k.state === 'retiring' && k.retiringSince && now.getTime() - k.retiringSince.getTime() >= overlapSeconds * 1000) steps.push({ kind: 'retire', id: k.id });
    }
  }
  return steps;
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DKIM_TXT_LOOKUP, DkimTxtLookup } from './dkim-dns.port';
import { DkimErrors } from './dkim.errors';
import { DkimAlgorithm, dkimDnsRecord, DkimKeyState, DnsRecordToPublish, generateDkimKey, nextSelector, publishedIn, rotationSteps, RotationStep } from './dkim-keys';
import { decryptPrivateKey, encryptionKeyFrom, encryptPrivateKey } from './key-encryption';

export interface DkimKeyView {
  id: string;
  tenantId: string | null;
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  bits: number | null;
  state: DkimKeyState;
  createdAt: Date;
  publishedSeenAt: Date | null;
  activatedAt: Date | null;
  retiringSince: Date | null;
  retiredAt: Date | null;
  /** The TXT record to publish (kept published until the key is retired). */
  record: DnsRecordToPublish;
}

/** A key ready for the signer. */
export interface SigningKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  privateKeyPem: string;
}

export interface CheckResult {
  domain: string;
  steps: (RotationStep & { selector: string })[];
  /** Pending keys whose record was not (yet) found. */
  waiting: string[];
}

interface KeyRow {
  id: string;
  tenantId: string | null;
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  bits: number | null;
  publicKey: string;
  privateKeyEnc: string;
  state: DkimKeyState;
  createdAt: Date;
  publishedSeenAt: Date | null;
  activatedAt: Date | null;
  retiringSince: Date | null;
  retiredAt: Date | null;
}

const COLUMNS = `id, tenant_id AS "tenantId", domain, selector, algorithm, key_bits AS bits, public_key AS "publicKey", private_key_enc AS "privateKeyEnc", state,
  created_at AS "createdAt", published_seen_at AS "publishedSeenAt", activated_at AS "activatedAt", retiring_since AS "retiringSince", retired_at AS "retiredAt"`;

/**
 * DKIM keys per tenant and domain: generated here (the private key never
 * leaves us and is stored encrypted), published by the tenant, activated
 * only once the record is seen in DNS, and rotated with an overlap during
 * which the old record stays published.
 */
@Injectable()
export class DkimKeysService {
  private readonly encryptionKey: Buffer;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'NODE_ENV' | 'DKIM_KEY_ENCRYPTION_KEY' | 'DKIM_ROTATION_OVERLAP_SECONDS'>,
    @Inject(DKIM_TXT_LOOKUP) private readonly dns: DkimTxtLookup,
  ) {
    this.encryptionKey = encryptionKeyFrom(cfg);
  }

  /**
   * Makes a new pending key for a domain: the first one, an Ed25519 key
   * alongside the RSA one, or (through rotate) a successor.
   * `service`: the domain is the service's own (MX_HOSTNAME, notifications), not a tenant's.
   */
  async createKey(input: { domain: string; algorithm?: DkimAlgorithm; bits?: number; service?: boolean; now?: Date }): Promise<DkimKeyView> {
    const domain = normalise(input.domain);
    const algorithm = input.algorithm ?? 'rsa';
    const tenantId = await this.ownerOf(domain, !!input.service);
    const existing: { selector: string; state: DkimKeyState }[] = await this.ds.query(`SELECT selector, state FROM dkim_keys WHERE domain = $1 AND algorithm = $2`, [domain, algorithm]);
    const pending = existing.find((k) => k.state === 'pending');
    if (pending) throw DkimErrors.pendingExists(domain, pending.selector);
    const generated = generateDkimKey(algorithm, input.bits ?? 2048);
    const selector = nextSelector(input.now ?? new Date(), algorithm, (await this.ds.query(`SELECT selector FROM dkim_keys WHERE domain = $1`, [domain])).map((r: { selector: string }) => r.selector));
    const enc = encryptPrivateKey(this.encryptionKey, generated.privateKeyPem, `${domain}/${selector}`);
    const rows: KeyRow[] = await this.ds.query(
      `INSERT INTO dkim_keys (tenant_id, domain, selector, algorithm, key_bits, public_key, private_key_enc) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING ${COLUMNS}`,
      [tenantId, domain, selector, algorithm, generated.bits, generated.publicKey, enc],
    );
    return view(rows[0]);
  }

  /** Starts a rotation: a pending successor for each algorithm that has an active key (or the one named). */
  async rotate(domainName: string, algorithm?: DkimAlgorithm, now = new Date()): Promise<DkimKeyView[]> {
    const domain = normalise(domainName);
    const keys = await this.rows(domain);
    if (keys.length === 0) throw DkimErrors.noKeys(domain);
    const algorithms = [...new Set(keys.filter((k) => k.state === 'active' && (!algorithm || k.algorithm === algorithm)).map((k) => k.algorithm))];
    if (algorithms.length === 0) throw DkimErrors.nothingToRotate(domain);
    const out: DkimKeyView[] = [];
    for (const a of algorithms) {
      const current = keys.find((k) => k.state === 'active' && k.algorithm === a);
      out.push(await this.createKey({ domain, algorithm: a, bits: current?.bits ?? undefined, service: current?.tenantId === null, now }));
    }
    return out;
  }

  async keys(domainName: string, includeRetired = false): Promise<DkimKeyView[]> {
    return (await this.rows(normalise(domainName))).filter((k) => includeRetired || k.state !== 'retired').map(view);
  }

  /** Domains with keys that a check can change (pending or retiring ones). */
  async domainsToCheck(): Promise<string[]> {
    return (await this.ds.query(`SELECT DISTINCT domain FROM dkim_keys WHERE state IN ('pending','retiring') ORDER BY domain`)).map((r: { domain: string }) => r.domain);
  }

  /**
   * Looks in DNS for the domain's pending keys and applies the rotation
   * rules. Safe to run from several workers at once: each change is
   * conditional on the state it starts from.
   */
  async check(domainName: string, now = new Date()): Promise<CheckResult> {
    const domain = normalise(domainName);
    const keys = await this.rows(domain);
    const seen = new Set<string>();
    const waiting: string[] = [];
    for (const k of keys.filter((x) => x.state === 'pending')) {
      const name = `${k.selector}._domainkey.${domain}`;
      let answers: string[][];
      try {
        answers = await this.dns.txt(name);
      } catch (e) {
        throw DkimErrors.dnsUnavailable(name, e instanceof Error ? e.message : String(e));
      }
      if (publishedIn(answers, k.publicKey)) seen.add(k.id);
      else waiting.push(k.selector);
    }
    const steps = rotationSteps(keys, seen, now, this.cfg.DKIM_ROTATION_OVERLAP_SECONDS);
    const bySelector = new Map(keys.map((k) => [k.id, k.selector]));
    if (steps.length) {
      await this.ds.transaction(async (em) => {
        // Retire-start before activate, so the one-active-key index never sees two.
        for (const s of [...steps].sort((a, b) => order(a) - order(b))) {
          if (s.kind === 'retire-start') await em.query(`UPDATE dkim_keys SET state = 'retiring', retiring_since = $2 WHERE id = $1 AND state IN ('active','pending')`, [s.id, now]);
          else if (s.kind === 'activate') await em.query(`UPDATE dkim_keys SET state = 'active', activated_at = $2, published_seen_at = $2 WHERE id = $1 AND state = 'pending'`, [s.id, now]);
          else await em.query(`UPDATE dkim_keys SET state = 'retired', retired_at = $2 WHERE id = $1 AND state = 'retiring'`, [s.id, now]);
        }
      });
    }
    return { domain, steps: steps.map((s) => ({ ...s, selector: bySelector.get(s.id) ?? '' })), waiting };
  }

  /**
   * The keys that sign mail from `domain` for `tenantId`: the domain's active
   * keys when the tenant owns them, or the service's own keys. A tenant never
   * gets another tenant's domain signed.
   */
  async signingKeysFor(tenantId: string, domainName: string): Promise<SigningKey[]> {
    const domain = normalise(domainName);
    const rows: KeyRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM dkim_keys WHERE domain = $1 AND state = 'active' AND (tenant_id = $2 OR tenant_id IS NULL) ORDER BY algorithm`,
      [domain, tenantId],
    );
    return rows.map((r) => ({ domain: r.domain, selector: r.selector, algorithm: r.algorithm, privateKeyPem: decryptPrivateKey(this.encryptionKey, r.privateKeyEnc, `${r.domain}/${r.selector}`) }));
  }

  /** Whether the tenant asked us to sign its outbound mail from this domain. */
  async signsOutbound(tenantId: string, domainName: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT sign_outbound AS s FROM tenant_domains WHERE tenant_id = $1 AND name = $2`, [tenantId, normalise(domainName)]);
    return rows[0]?.s === true;
  }

  async setSignOutbound(domainName: string, on: boolean): Promise<void> {
    const domain = normalise(domainName);
    const rows = await this.ds.query(`UPDATE tenant_domains SET sign_outbound = $2 WHERE name = $1 RETURNING id`, [domain, on]);
    if (rows.length === 0 || (Array.isArray(rows[0]) && rows[0].length === 0)) throw DkimErrors.unknownDomain(domain);
  }

  /** Drops a tenant's keys of a domain it no longer has (the domain may later belong to someone else). */
  async removeKeysOf(tenantId: string, domainName: string): Promise<number> {
    const rows = await this.ds.query(`DELETE FROM dkim_keys WHERE tenant_id = $1 AND domain = $2 RETURNING id`, [tenantId, normalise(domainName)]);
    return (Array.isArray(rows[0]) ? rows[0] : rows).length;
  }

  private async ownerOf(domain: string, service: boolean): Promise<string | null> {
    const rows: { tenantId: string; verifiedAt: Date | null }[] = await this.ds.query(`SELECT tenant_id AS "tenantId", verified_at AS "verifiedAt" FROM tenant_domains WHERE name = $1`, [domain]);
    if (rows.length) {
      if (!rows[0].verifiedAt) throw DkimErrors.unverifiedDomain(domain);
      return rows[0].tenantId;
    }
    if (service) return null;
    throw DkimErrors.unknownDomain(domain);
  }

  private rows(domain: string): Promise<KeyRow[]> {
    return this.ds.query(`SELECT ${COLUMNS} FROM dkim_keys WHERE domain = $1 ORDER BY created_at`, [domain]);
  }
}

function order(s: RotationStep): number {
  return s.kind === 'retire-start' ? 0 : s.kind === 'activate' ? 1 : 2;
}

function normalise(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

function view(r: KeyRow): DkimKeyView {
  return {
    id: r.id,
    tenantId: r.tenantId,
    domain: r.domain,
    selector: r.selector,
    algorithm: r.algorithm,
    bits: r.bits,
    state: r.state,
    createdAt: r.createdAt,
    publishedSeenAt: r.publishedSeenAt,
    activatedAt: r.activatedAt,
    retiringSince: r.retiringSince,
    retiredAt: r.retiredAt,
    record: dkimDnsRecord(r.domain, r.selector, r.algorithm, r.publicKey),
  };
}

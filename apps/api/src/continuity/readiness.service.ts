import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContinuityService } from '@app/continuity';
import { DomainProblem, domainProblems, isReady } from './readiness';

export interface ReadinessReport {
  ready: boolean;
  checkedAt: Date;
  domains: { count: number; blocking: true; items: Array<{ id: string; name: string; verified: boolean; problems: DomainProblem[]; dnsCheck: { domainId: string; href: string } }> };
  mobileNumbers: { count: number; total: number; blocking: true; items: Array<{ id: string; address: string; displayName: string }> };
  texts: { count: number; blocking: true; items: Array<{ id: string; mailboxId: string; address: string; state: string; lastError: string | null; at: Date }> };
  webmailSignIn: { available: boolean; count: number; total: number; blocking: false; items: Array<{ id: string; address: string; displayName: string }> };
}

/**
 * The readiness report: domains with a problem in our records, employees
 * without a mobile number (they get no credentials), credentials texts that
 * did not arrive, and employees who never signed in to the webmail. Counts,
 * the first `limit` of each, and one verdict.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly ds: DataSource,
    private readonly continuity: ContinuityService,
  ) {}

  async report(tenantId: string, limit: number): Promise<ReadinessReport> {
    await this.continuity.load(tenantId);
    const [domains, mobiles, texts, signIn] = await Promise.all([this.domains(tenantId), this.withoutMobile(tenantId, limit), this.undeliveredTexts(tenantId, limit), this.neverSignedIn(tenantId, limit)]);
    return {
      ready: isReady({ domains: domains.length, mobileNumbers: mobiles.count, texts: texts.count, webmailSignIn: signIn.count }),
      checkedAt: new Date(),
      domains: { count: domains.length, blocking: true, items: domains.slice(0, limit) },
      mobileNumbers: { ...mobiles, blocking: true },
      texts: { ...texts, blocking: true },
      webmailSignIn: { ...signIn, blocking: false },
    };
  }

  private async domains(tenantId: string): Promise<ReadinessReport['domains']['items']> {
    const rows: Array<{ id: string; name: string; verified: boolean; sign_outbound: boolean; active: number; unpublished: number }> = await this.ds.query(
      `SELECT d.id, d.name, d.verified_at IS NOT NULL AS verified, d.sign_outbound,
              (SELECT count(*)::int FROM dkim_keys k WHERE k.tenant_id = d.tenant_id AND k.domain = d.name AND k.state = 'active') AS active,
              (SELECT count(*)::int FROM dkim_keys k WHERE k.tenant_id = d.tenant_id AND k.domain = d.name AND k.state = 'pending' AND k.published_seen_at IS NULL) AS unpublished
         FROM tenant_domains d WHERE d.tenant_id = $1 ORDER BY d.name`,
      [tenantId],
    );
    return rows
      .map((r) => ({ id: r.id, name: r.name, verified: r.verified, problems: domainProblems({ verified: r.verified, signOutbound: r.sign_outbound, activeDkimKeys: r.active, unpublishedDkimKeys: r.unpublished }), dnsCheck: { domainId: r.id, href: `/api/tenants/${tenantId}/domains/${r.id}/dns-check` } }))
      .filter((d) => d.problems.length > 0);
  }

  private async withoutMobile(tenantId: string, limit: number): Promise<Omit<ReadinessReport['mobileNumbers'], 'blocking'>> {
    const [counts, items] = await Promise.all([
      this.ds.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE mobile_e164 IS NULL)::int AS missing FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user'`,
        [tenantId],
      ),
      this.ds.query(
        `SELECT id, address, display_name AS "displayName" FROM mailboxes WHERE tenant_id = $1 AND status = 'active' AND kind = 'user' AND mobile_e164 IS NULL ORDER BY address LIMIT $2`,
        [tenantId, limit],
      ),
    ]);
    return { count: counts[0].missing, total: counts[0].total, items };
  }

  /** Each active mailbox's latest credentials text, when it failed, was undelivered or stopped by the cap. */
  private async undeliveredTexts(tenantId: string, limit: number): Promise<Omit<ReadinessReport['texts'], 'blocking'>> {
    const latest = `SELECT DISTINCT ON (s.mailbox_id) s.id, s.mailbox_id, s.state, s.last_error, COALESCE(s.status_at, s.created_at) AS at, m.address
                      FROM sms_messages s JOIN mailboxes m ON m.id = s.mailbox_id AND m.tenant_id = s.tenant_id
                     WHERE s.tenant_id = $1 AND s.kind = 'credentials' AND m.status = 'active'
                     ORDER BY s.mailbox_id, s.created_at DESC, s.id DESC`;
    const [count, rows] = await Promise.all([
      this.ds.query(`SELECT count(*)::int AS n FROM (${latest}) l WHERE l.state IN ('failed','undelivered','capped')`, [tenantId]),
      this.ds.query(`SELECT * FROM (${latest}) l WHERE l.state IN ('failed','undelivered','capped') ORDER BY l.address LIMIT $2`, [tenantId, limit]),
    ]);
    return {
      count: count[0].n,
      items: rows.map((r: Record<string, unknown>) => ({ id: r.id as string, mailboxId: r.mailbox_id as string, address: r.address as string, state: r.state as string, lastError: (r.last_error as string | null) ?? null, at: r.at as Date })),
    };
  }

  /** Active user mailboxes without a webmail sign-in (webmail_accounts.last_signin_at); unavailable where the webmail's table does not exist. */
  private async neverSignedIn(tenantId: string, limit: number): Promise<Omit<ReadinessReport['webmailSignIn'], 'blocking'>> {
    const [{ present }] = await this.ds.query(`SELECT to_regclass('webmail_accounts') IS NOT NULL AS present`);
    if (!present) return { available: false, count: 0, total: 0, items: [] };
    const never = `FROM mailboxes m LEFT JOIN webmail_accounts w ON w.mailbox_id = m.id AND w.tenant_id = m.tenant_id
                   WHERE m.tenant_id = $1 AND m.status = 'active' AND m.kind = 'user'`;
    const [counts, items] = await Promise.all([
      this.ds.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE w.last_signin_at IS NULL)::int AS never ${never}`, [tenantId]),
      this.ds.query(`SELECT m.id, m.address, m.display_name AS "displayName" ${never} AND w.last_signin_at IS NULL ORDER BY m.address LIMIT $2`, [tenantId, limit]),
    ]);
    return { available: true, count: counts[0].never, total: counts[0].total, items };
  }
}

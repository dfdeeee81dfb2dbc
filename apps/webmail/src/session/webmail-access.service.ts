import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ContinuityService } from '@app/continuity/continuity.service';
import { Language, languageOf } from './i18n';

export type TenantMode = 'normal' | 'active' | 'recovering' | 'drill';

/** What the webmail needs to know about a tenant: whether it is open, and how it looks. */
export interface TenantAccess {
  tenantId: string;
  name: string;
  language: Language;
  mode: TenantMode;
  practiceSignin: boolean;
  /** The drill's mailboxes while the tenant is in a drill (empty otherwise). */
  drillMailboxIds: ReadonlySet<string>;
  brandName: string | null;
  logoDataUrl: string | null;
  primaryColor: string | null;
}

/** Whether the tenant's webmail is open at all (for some mailbox); a drill is open only for its mailboxes. */
export function tenantOpen(a: TenantAccess): boolean {
  return a.practiceSignin || a.mode === 'active' || a.mode === 'drill';
}

/** Whether this mailbox of the tenant may use the webmail now. */
export function mailboxOpen(a: TenantAccess, mailboxId: string): boolean {
  if (a.practiceSignin || a.mode === 'active') return true;
  return a.mode === 'drill' && a.drillMailboxIds.has(mailboxId);
}

/**
 * The webmail is open to a tenant while it is in continuity mode (`active`),
 * in a drill (only for the drill's mailboxes), or always when the tenant lets
 * employees practise (tenants.webmail_practice_signin). Looked up on every
 * request and cached briefly (WEBMAIL_ACCESS_CACHE_MS), so sessions stop
 * working soon after the tenant returns to normal.
 */
@Injectable()
export class WebmailAccessService {
  private readonly cache = new Map<string, { at: number; value: Promise<TenantAccess | null> }>();

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_ACCESS_CACHE_MS'>,
    // Present where ContinuityModule is loaded; otherwise the same query as ContinuityService.currentDrillMailboxIds.
    @Optional() private readonly continuity: ContinuityService | null,
  ) {}

  async ofTenant(tenantId: string): Promise<TenantAccess | null> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < this.cfg.WEBMAIL_ACCESS_CACHE_MS) return hit.value;
    const value = this.load(tenantId);
    this.cache.set(tenantId, { at: now, value });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    value.catch(() => this.cache.delete(tenantId));
    return value;
  }

  /** The tenant that owns the address's domain (null: no tenant has it). Tells nothing about the mailbox. */
  async tenantIdOfAddress(address: string): Promise<string | null> {
    const at = address.lastIndexOf('@');
    if (at < 0) return null;
    const domain = address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
    if (!domain) return null;
    const rows = await this.ds.query(`SELECT tenant_id FROM tenant_domains WHERE name = $1`, [domain]);
    return rows[0]?.tenant_id ?? null;
  }

  private async load(tenantId: string): Promise<TenantAccess | null> {
    const rows = await this.ds.query(
      `SELECT id, name, language, mode, webmail_practice_signin, webmail_brand_name, webmail_logo_data_url, webmail_primary_color
         FROM tenants WHERE id = $1`,
      [tenantId],
    );
    const r = rows[0];
    if (!r) return null;
    const mode = r.mode as TenantMode;
    const drill = mode === 'drill' ? await this.drillMailboxIds(tenantId) : [];
    return {
      tenantId,
      name: r.name,
      language: languageOf(r.language),
      mode,
      practiceSignin: r.webmail_practice_signin === true,
      drillMailboxIds: new Set(drill),
      brandName: r.webmail_brand_name ?? null,
      logoDataUrl: r.webmail_logo_data_url ?? null,
      primaryColor: r.webmail_primary_color ?? null,
    };
  }

  private async drillMailboxIds(tenantId: string): Promise<string[]> {
    if (this.continuity) return this.continuity.currentDrillMailboxIds(tenantId);
    const rows = await this.ds.query(
      `SELECT c.drill_mailbox_ids FROM continuity_transitions c JOIN tenants t ON t.id = c.tenant_id
        WHERE c.tenant_id = $1 AND t.mode = 'drill' AND c.to_mode = 'drill' AND c.from_mode <> 'drill'
        ORDER BY c.created_at DESC LIMIT 1`,
      [tenantId],
    );
    return rows[0]?.drill_mailbox_ids ?? [];
  }
}

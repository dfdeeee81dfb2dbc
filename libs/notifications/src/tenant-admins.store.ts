import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { normalizeLanguage, SmsLanguage } from '@app/sms';

export interface TenantAdminContact { id: string; name: string; mobileE164: string | null; email: string | null; language: SmsLanguage }
export interface TenantForNotice { id: string; name: string; language: SmsLanguage }

/** Reads whom to tell: the tenant's admins (tenant_admins, owned by libs/continuity) and the tenant's name and language. */
@Injectable()
export class TenantAdminsStore {
  constructor(private readonly ds: DataSource) {}

  async tenant(tenantId: string): Promise<TenantForNotice | null> {
    const rows = await this.ds.query(`SELECT id, name, language FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0] ? { ...rows[0], language: normalizeLanguage(rows[0].language) } : null;
  }

  async admins(tenantId: string, tenantLanguage: SmsLanguage): Promise<TenantAdminContact[]> {
    const rows: Array<Omit<TenantAdminContact, 'language'> & { language: string | null }> = await this.ds.query(
      `SELECT id, name, mobile_e164 AS "mobileE164", email, language FROM tenant_admins WHERE tenant_id = $1 ORDER BY name, id`,
      [tenantId],
    );
    return rows.map((r) => ({ ...r, language: r.language ? normalizeLanguage(r.language) : tenantLanguage }));
  }
}

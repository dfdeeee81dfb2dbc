import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContinuityErrors } from './continuity.errors';
import { AdminLanguage, TenantAdmin } from './tenant-admin.entity';

export interface AddTenantAdminInput {
  name: string;
  mobileE164?: string | null;
  email?: string | null;
  language?: AdminLanguage;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Validated admin fields, or the first reason they cannot be stored. */
export function checkTenantAdmin(input: AddTenantAdminInput): Required<AddTenantAdminInput> {
  const name = input.name?.trim();
  if (!name) throw ContinuityErrors.invalidAdmin('an admin needs a name');
  const mobileE164 = input.mobileE164?.replace(/[\s()-]/g, '') || null;
  if (mobileE164 && !E164.test(mobileE164)) throw ContinuityErrors.invalidAdmin(`"${input.mobileE164}" is not a mobile number in E.164 form (+491701234567)`);
  const email = input.email?.trim().toLowerCase() || null;
  if (email && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(email)) throw ContinuityErrors.invalidAdmin(`"${input.email}" is not an e-mail address`);
  if (!mobileE164 && !email) throw ContinuityErrors.invalidAdmin('an admin needs a mobile number or an e-mail address to be reached at');
  const language = input.language ?? 'en';
  if (language !== 'en' && language !== 'de') throw ContinuityErrors.invalidAdmin(`language must be en or de, not "${String(language)}"`);
  return { name, mobileE164, email, language };
}

/** The tenant's admins: they hear about every transition and may confirm an activation. */
@Injectable()
export class TenantAdminsService {
  constructor(private readonly ds: DataSource) {}

  async add(tenantId: string, input: AddTenantAdminInput): Promise<TenantAdmin> {
    const v = checkTenantAdmin(input);
    return this.ds.manager.save(this.ds.manager.create(TenantAdmin, { ...v, tenantId }));
  }

  async list(tenantId: string): Promise<TenantAdmin[]> {
    return this.ds.manager.find(TenantAdmin, { where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** By id, e-mail or mobile number. */
  async remove(tenantId: string, ref: string): Promise<TenantAdmin> {
    const admins = await this.list(tenantId);
    const a = admins.find((x) => x.id === ref || x.email === ref.toLowerCase() || x.mobileE164 === ref);
    if (!a) throw ContinuityErrors.adminNotFound(ref);
    await this.ds.manager.delete(TenantAdmin, { id: a.id, tenantId });
    return a;
  }
}

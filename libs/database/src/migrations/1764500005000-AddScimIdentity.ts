import { MigrationInterface, QueryRunner } from 'typeorm';

/** External ids of users and groups provisioned by SCIM. */
export class AddScimIdentity1764500005000 implements MigrationInterface {
  name = 'AddScimIdentity1764500005000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

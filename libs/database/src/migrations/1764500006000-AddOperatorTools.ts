import { MigrationInterface, QueryRunner } from 'typeorm';

/** What the operator tools and continuity operations need beyond what exists. */
export class AddOperatorTools1764500006000 implements MigrationInterface {
  name = 'AddOperatorTools1764500006000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

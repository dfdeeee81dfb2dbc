import { MigrationInterface, QueryRunner } from 'typeorm';

/** Employees' webmail passwords, sessions and sign-ins. */
export class AddWebmailAccounts1764500002000 implements MigrationInterface {
  name = 'AddWebmailAccounts1764500002000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

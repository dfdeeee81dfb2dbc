import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import { MailboxesService } from '@app/mailboxes';

/**
 * The services a command needs, on one DataSource opened on first use and
 * closed when the command is done. A short-lived operator tool gains nothing
 * from a Nest container; the services are the same ones the apps inject.
 */
export class CliContext {
  private ds: DataSource | null = null;
  private services: { tenants: TenantsService; mailboxes: MailboxesService } | null = null;

  async open(): Promise<{ tenants: TenantsService; mailboxes: MailboxesService }> {
    if (!this.services) {
      const cfg = loadConfig();
      this.ds = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
      const tenants = new TenantsService(this.ds, new NodeDnsTxtLookup());
      this.services = { tenants, mailboxes: new MailboxesService(this.ds, tenants) };
    }
    return this.services;
  }

  async close(): Promise<void> {
    if (this.ds?.isInitialized) await this.ds.destroy();
    this.ds = null;
    this.services = null;
  }
}

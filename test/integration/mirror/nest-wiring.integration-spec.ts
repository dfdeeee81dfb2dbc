import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { createLogger, LOGGER, Metrics } from '@app/observability';
import { MessageIndexer, MirrorModule } from '@app/mirror';
import { RetentionModule, RetentionService } from '@app/retention';
import { createTestTenant, insertTestMessage, withDb } from '../../support/factories';

/** Stands in for ObservabilityModule, which also needs Redis for its readiness checks. */
@Global()
@Module({ providers: [{ provide: LOGGER, useFactory: () => createLogger('test', 'silent') }, { provide: Metrics, useFactory: () => new Metrics('test') }], exports: [LOGGER, Metrics] })
class TestObservabilityModule {}

describe('MirrorModule and RetentionModule in a Nest application', () => {
  it('resolve their dependencies from the global modules the worker provides, and work', async () => {
    const app = await Test.createTestingModule({
      imports: [ConfigModule, DatabaseModule.forApp('test-wiring'), BlobStoreModule, TestObservabilityModule, MirrorModule, RetentionModule],
    }).compile();
    await app.init();
    try {
      const t = await createTestTenant({ mailboxes: ['max'] });
      const m = await insertTestMessage(t, { raw: 'From: a@x.example\r\nSubject: wired\r\n\r\nhello\r\n', recipients: [t.mailboxes.max.address], mirrorMailboxIds: [t.mailboxes.max.id] });
      await app.get(MessageIndexer).index({ messageId: m.messageId, tenantId: t.id });
      const row = await withDb(async (db) => (await db.query(`SELECT index_state, subject FROM messages WHERE id = $1`, [m.messageId])).rows[0]);
      expect(row).toEqual({ index_state: 'indexed', subject: 'wired' });
      const report = await app.get(RetentionService).runOnce();
      expect(report.skipped).toBe(false);
    } finally {
      await app.close();
    }
  });
});

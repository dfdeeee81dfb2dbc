import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { DirectoryError, NodeDnsTxtLookup, TenantsService } from '@app/tenants';
import { EventNotFoundError, ReconciliationService, RecoveryStore, replayEtaSeconds, reportLines } from '@app/continuity/recovery';
import { Output, table } from './cli-output';

type Opts = Record<string, unknown> & { json?: boolean };

interface RecoveryServices { tenants: TenantsService; store: RecoveryStore; reconciliation: ReconciliationService; ratePerSecond: number }

/** What `recovery` commands need, on one DataSource (no Redis: they only read). */
async function withServices<T>(fn: (s: RecoveryServices) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const ds: DataSource = await createDataSource({ DATABASE_URL: cfg.DATABASE_URL, DATABASE_POOL_SIZE: 2 }, 'cli').initialize();
  try {
    const store = new RecoveryStore(ds);
    return await fn({ tenants: new TenantsService(ds, new NodeDnsTxtLookup()), store, reconciliation: new ReconciliationService(ds, store), ratePerSecond: cfg.REPLAY_RATE_PER_UPSTREAM });
  } finally {
    await ds.destroy();
  }
}

function iso(d: Date | string | null | undefined): string | null {
  return d ? new Date(d).toISOString() : null;
}

/**
 * `recovery report` — the reconciliation report of a continuity event, per
 * mailbox (received, replayed, duplicates suppressed, failed with reason,
 * sent and copied back); `recovery status` — where a replay stands.
 */
export function registerRecoveryCommands(program: Command): void {
  const recovery = program.command('recovery').description('held mail, its replay after a continuity event, and the reconciliation report');

  recovery
    .command('report')
    .description("reconciliation report of a continuity event (default: the tenant's latest)")
    .requiredOption('--tenant <slug|id>', 'the tenant')
    .option('--event <id>', 'the event, or the transition that started or ended it')
    .action(async (_o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const out = new Output(!!o.json);
      await withServices(async ({ tenants, reconciliation }) => {
        const t = await tenants.findTenant(o.tenant as string);
        const r = await reconciliation.report(t.id, o.event as string | undefined).catch((e) => {
          if (e instanceof EventNotFoundError) throw new DirectoryError(e.code, 'not_found', e.message);
          throw e;
        });
        out.result(r, [`tenant ${t.slug}`, ...reportLines(r, table)]);
      });
    });

  recovery
    .command('status')
    .description('mode, held mail and the progress of the replay')
    .requiredOption('--tenant <slug|id>', 'the tenant')
    .action(async (_o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const out = new Output(!!o.json);
      await withServices(async ({ tenants, store, ratePerSecond }) => {
        const t = await tenants.findTenant(o.tenant as string);
        const event = (await store.openEventOf(t.id)) ?? (await store.latestEvent(t.id));
        const counts = await store.replayCounts(t.id, event?.recoveryStartedAt ?? event?.startedAt ?? null);
        const held = counts.held ?? 0;
        const inReplay = (counts.queued ?? 0) + (counts.deferred ?? 0);
        const status = {
          tenant: t.slug,
          mode: t.mode,
          event: event
            ? { id: event.id, startedAt: iso(event.startedAt), recoveryStartedAt: iso(event.recoveryStartedAt), replayFinishedAt: iso(event.replayFinishedAt), endedAt: iso(event.endedAt), releasedMessages: event.releasedMessages, copiedBackMessages: event.copiedBackMessages }
            : null,
          held,
          releasedInFlight: inReplay,
          releasedDelivered: counts.delivered ?? 0,
          releasedFailed: (counts.bounced ?? 0) + (counts.expired ?? 0),
          suppressed: counts.suppressed ?? 0,
          replayRatePerSecond: ratePerSecond,
          estimatedReplaySeconds: t.mode === 'recovering' ? replayEtaSeconds(held, ratePerSecond) : null,
        };
        out.result(status, [
          `tenant ${t.slug}: mode ${t.mode}`,
          event ? `event ${event.id}: started ${status.event!.startedAt}${event.recoveryStartedAt ? `, replay since ${status.event!.recoveryStartedAt}` : ''}${event.endedAt ? `, ended ${status.event!.endedAt}` : ''}` : 'no continuity event yet',
          `held: ${held}   released and in flight: ${inReplay}   delivered after release: ${status.releasedDelivered}   failed: ${status.releasedFailed}   duplicates suppressed: ${status.suppressed}`,
          status.estimatedReplaySeconds !== null ? `replay at ${ratePerSecond}/s per upstream: about ${status.estimatedReplaySeconds} s to go` : '',
        ].filter(Boolean));
      });
    });
}

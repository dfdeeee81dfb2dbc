import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { DkimKeysService } from './dkim-keys.service';

/**
 * The check job of key rotation, on a timer in each worker: pending keys
 * become active once their record is in DNS, retiring keys are retired after
 * the overlap. Running it in several workers at once is harmless (every
 * change is conditional), so no coordination is needed. `dkim check` runs
 * the same check on demand.
 */
@Injectable()
export class DkimRotationScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'DKIM_CHECK_INTERVAL_MS'>,
    private readonly keys: DkimKeysService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.checkAll(), this.cfg.DKIM_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  checkAll(): Promise<void> {
    this.running ??= (async () => {
      for (const domain of await this.keys.domainsToCheck()) {
        try {
          const r = await this.keys.check(domain);
          for (const s of r.steps) this.logger.info({ domain, selector: s.selector, step: s.kind }, 'DKIM key rotation step');
        } catch (e) {
          this.logger.warn({ domain, err: e instanceof Error ? e.message : String(e) }, 'DKIM check failed; will try again');
        }
      }
    })()
      .catch((e) => this.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'DKIM check failed; will try again'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}

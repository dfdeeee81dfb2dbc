import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { LOGGER, Logger } from '@app/observability';
import { ReplayService } from './replay.service';

/**
 * Drives the replay in the worker: a tick every REPLAY_TICK_MS, never two
 * at once; stopped (and the running tick awaited) before the DataSource
 * closes. Started on its own when the worker app boots.
 */
@Injectable()
export class ReplayScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'REPLAY_TICK_MS'>,
    private readonly replay: ReplayService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.tickNow(), this.cfg.REPLAY_TICK_MS);
  }

  tickNow(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.replay
      .tick()
      .catch((e) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'replay tick failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}

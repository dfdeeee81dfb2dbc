import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BounceService } from './bounce.service';
import { DeliverMessageHandler } from './deliver-message.job';
import { DeliverySweeper } from './delivery-sweeper.service';
import { DeliveryStore } from './delivery.store';
import { DNS_RESOLVER, SystemDnsResolver } from './dns-resolver.port';
import { NodemailerSmtpSender } from './nodemailer-smtp-sender';
import { RoutePlanner } from './route-planner.service';
import { SMTP_SENDER, SmtpSender } from './smtp-sender.port';

/**
 * The delivery engine: needs the global DataSource, BLOB_STORE, Queues,
 * Metrics and LOGGER. DNS and SMTP sit behind ports so tests and special
 * setups can replace them.
 */
@Module({
  providers: [
    DeliveryStore,
    RoutePlanner,
    BounceService,
    DeliverMessageHandler,
    DeliverySweeper,
    { provide: DNS_RESOLVER, useClass: SystemDnsResolver },
    {
      provide: SMTP_SENDER,
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) =>
        new NodemailerSmtpSender({ heloName: cfg.MX_HOSTNAME, connectTimeoutMs: cfg.SMTP_CONNECT_TIMEOUT_MS, commandTimeoutMs: cfg.SMTP_COMMAND_TIMEOUT_MS }),
    },
  ],
  exports: [DeliverMessageHandler, DeliverySweeper, DeliveryStore, DNS_RESOLVER, SMTP_SENDER],
})
export class DeliveryModule implements OnApplicationShutdown {
  constructor(@Inject(SMTP_SENDER) private readonly sender: SmtpSender) {}

  /** Runs after the worker app stopped its BullMQ workers, so no transaction is cut. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }
}

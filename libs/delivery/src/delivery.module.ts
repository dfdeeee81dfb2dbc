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
import { DkimModule } from '@app/dkim';
import { MailAuthModule } from '@app/mail-auth';
import { DestinationLimiter } from './destination-limiter';
import { HttpsMtaStsSource, MTA_STS_SOURCE } from './mta-sts.port';
import { MtaStsPolicies } from './mta-sts-policies.service';
import { OutgoingMessages } from './outgoing-message.service';
import { ThrottledSmtpSender } from './throttled-smtp-sender';

/** How long a transaction waits for a free connection slot to its destination before the attempt is deferred. */
const DESTINATION_SLOT_WAIT_MS = 30_000;

/**
 * The delivery engine: needs the global DataSource, BLOB_STORE, Queues,
 * Metrics and LOGGER. DNS and SMTP sit behind ports so tests and special
 * setups can replace them.
 */
@Module({
  imports: [DkimModule, MailAuthModule],
  providers: [
    OutgoingMessages,
    MtaStsPolicies,
    { provide: MTA_STS_SOURCE, useFactory: () => new HttpsMtaStsSource() },
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
        new ThrottledSmtpSender(
          new NodemailerSmtpSender({ heloName: cfg.MX_HOSTNAME, connectTimeoutMs: cfg.SMTP_CONNECT_TIMEOUT_MS, commandTimeoutMs: cfg.SMTP_COMMAND_TIMEOUT_MS }),
          new DestinationLimiter(cfg.DELIVERY_MAX_PER_DESTINATION),
          { maxWaitMs: DESTINATION_SLOT_WAIT_MS, slowDownSeconds: cfg.DESTINATION_SLOWDOWN_SECONDS },
        ),
    },
  ],
  exports: [DeliverMessageHandler, DeliverySweeper, DeliveryStore, DNS_RESOLVER, SMTP_SENDER, MTA_STS_SOURCE, DkimModule, MailAuthModule],
})
export class DeliveryModule implements OnApplicationShutdown {
  constructor(@Inject(SMTP_SENDER) private readonly sender: SmtpSender) {}

  /** Runs after the worker app stopped its BullMQ workers, so no transaction is cut. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { QueuesModule } from '@app/queues';
import { ObservabilityModule } from '@app/observability';
import { RecipientDirectoryModule } from '@app/mailboxes/recipient-directory.module';
import { MessagesModule } from '@app/messages/messages.module';
import { TenantsModule } from '@app/tenants/tenants.module';
import { OutboundModule } from '@app/outbound/outbound.module';
import { MailAuthModule } from '@app/mail-auth/mail-auth.module';
import { TLS_MATERIAL, loadTlsMaterial } from './tls-material';
import { CALLOUT_UPSTREAMS, NodemailerRcptProbe, RCPT_PROBE, RecipientCallout, TenantCalloutUpstreams } from './recipient-callout.service';
import { RecipientResolver } from './recipient-resolver.service';
import { SmtpListener } from './smtp-listener.service';
import { JournalIngest } from './journal-ingest.service';

/** The validated configuration, given to the whole application (tests pass their own). */
@Module({})
class MxConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: MxConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/mx: the SMTP ingress (smtp-server) plus /health and /metrics over HTTP. */
@Module({})
export class MxModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: MxModule,
      imports: [
        MxConfigModule.forConfig(cfg),
        DatabaseModule.forApp('mx'),
        BlobStoreModule,
        QueuesModule,
        ObservabilityModule.forApp('mx'),
        RecipientDirectoryModule,
        MessagesModule,
        TenantsModule,
        OutboundModule,
        MailAuthModule,
      ],
      providers: [
        { provide: TLS_MATERIAL, inject: [APP_CONFIG], useFactory: (c: AppConfig) => loadTlsMaterial(c) },
        { provide: RCPT_PROBE, useFactory: () => new NodemailerRcptProbe() },
        { provide: CALLOUT_UPSTREAMS, useClass: TenantCalloutUpstreams },
        RecipientCallout,
        RecipientResolver,
        JournalIngest,
        SmtpListener,
      ],
    };
  }
}

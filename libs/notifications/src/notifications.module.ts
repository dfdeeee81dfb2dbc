import { Inject, Module, OnModuleInit, Optional } from '@nestjs/common';
import { TransitionEffectRegistry } from '@app/continuity/transition-effects';
import { SmsComposerRegistry, SmsModule } from '@app/sms';
import { NotificationMailer } from './notification-mailer.service';
import { TenantAdminsStore } from './tenant-admins.store';
import { AdminAnnouncer } from './admin-announcer.service';

/**
 * Mail and texts of the service itself to people: announcements of
 * transitions and of a reached SMS cap to tenant admins, and the mailer other
 * domains use for notices (credentials to an alternate address).
 * Needs DataSource, Queues and the blob store from the app.
 */
@Module({
  imports: [SmsModule],
  providers: [NotificationMailer, TenantAdminsStore, AdminAnnouncer],
  exports: [NotificationMailer, TenantAdminsStore, AdminAnnouncer],
})
export class NotificationsModule implements OnModuleInit {
  constructor(
    private readonly announcer: AdminAnnouncer,
    // Global from ContinuityModule where transitions are applied (the worker); absent in apps that only send or redeem.
    @Optional() @Inject(TransitionEffectRegistry) private readonly effects: TransitionEffectRegistry | null,
    private readonly composers: SmsComposerRegistry,
  ) {}

  onModuleInit(): void {
    this.effects?.register(this.announcer);
    this.composers.register(this.announcer);
    this.composers.onCapReached(this.announcer);
  }
}

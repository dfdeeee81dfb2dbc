import { Inject, Module, OnModuleInit, Optional } from '@nestjs/common';
import { TransitionEffectRegistry } from '@app/continuity/transition-effects';
import { SmsComposerRegistry, SmsModule } from '@app/sms';
import { NotificationsModule } from '@app/notifications';
import { CredentialsStore } from './credentials.store';
import { CredentialsService } from './credentials.service';
import { BackToNormalSmsComposer, CredentialsSmsComposer } from './credentials-sms.composer';
import { CredentialsTransitionEffect } from './credentials-transition.effect';

/**
 * One-time webmail credentials: issued inside the SMS send job, redeemed by
 * apps/webmail, texted on activation, drills and requests. Registers its SMS
 * texts and its transition effect at start-up.
 */
@Module({
  imports: [SmsModule, NotificationsModule],
  providers: [CredentialsStore, CredentialsService, CredentialsSmsComposer, BackToNormalSmsComposer, CredentialsTransitionEffect],
  exports: [CredentialsService, CredentialsStore],
})
export class CredentialsModule implements OnModuleInit {
  constructor(
    private readonly composers: SmsComposerRegistry,
    // Global from ContinuityModule where transitions are applied (the worker); absent in apps that only send or redeem.
    @Optional() @Inject(TransitionEffectRegistry) private readonly effects: TransitionEffectRegistry | null,
    private readonly credentialsText: CredentialsSmsComposer,
    private readonly backToNormal: BackToNormalSmsComposer,
    private readonly effect: CredentialsTransitionEffect,
  ) {}

  onModuleInit(): void {
    this.composers.register(this.credentialsText);
    this.composers.register(this.backToNormal);
    this.effects?.register(this.effect);
  }
}

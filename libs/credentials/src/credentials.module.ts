import { Module, OnModuleInit } from '@nestjs/common';
import { ContinuityModule, TransitionEffectRegistry } from '@app/continuity';
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
  imports: [SmsModule, NotificationsModule, ContinuityModule],
  providers: [CredentialsStore, CredentialsService, CredentialsSmsComposer, BackToNormalSmsComposer, CredentialsTransitionEffect],
  exports: [CredentialsService, CredentialsStore],
})
export class CredentialsModule implements OnModuleInit {
  constructor(
    private readonly composers: SmsComposerRegistry,
    private readonly effects: TransitionEffectRegistry,
    private readonly credentialsText: CredentialsSmsComposer,
    private readonly backToNormal: BackToNormalSmsComposer,
    private readonly effect: CredentialsTransitionEffect,
  ) {}

  onModuleInit(): void {
    this.composers.register(this.credentialsText);
    this.composers.register(this.backToNormal);
    this.effects.register(this.effect);
  }
}

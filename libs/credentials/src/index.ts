export * from './credential-secrets';
export * from './credential-texts';
export * from './credentials.errors';
export * from './credentials.store';
export * from './credentials.service';
export * from './credentials-sms.composer';
export * from './credentials-transition.effect';
export * from './credentials.module';

export * from './passwords';
export * from './totp-secrets';
export * from './admin-users.service';
export * from './admin-audit.service';

export * from './auth-dns.port';
export * from './auth-summary';
export * from './mail-authenticator.service';
export * from './mail-auth.module';

export * from './dkim-keys';
export * from './key-encryption';
export * from './dkim-dns.port';
export * from './dkim.errors';
export * from './dkim-keys.service';
export * from './dkim-signer';
export * from './dkim-rotation.scheduler';
export * from './dkim.module';

export * from './principal';
export * from './auth-metadata';
export * from './admin-audit.service';
export * from './admin-auth.module';

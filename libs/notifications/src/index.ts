export * from './notification-mailer.service';
export * from './admin-texts';
export * from './tenant-admins.store';
export * from './admin-announcer.service';
export * from './notifications.module';

export * from './message.entity';
export * from './mirror-entry.entity';
export * from './queue-id';
export * from './received-header';
export * from './message-acceptance.service';
export * from './messages.module';

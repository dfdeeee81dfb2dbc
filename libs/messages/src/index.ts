export * from './message.entity';
export * from './mirror-entry.entity';

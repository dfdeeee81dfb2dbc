export * from './mailbox.entity';
export * from './alias.entity';
export * from './distribution-group.entity';

export * from './mailbox.entity';
export * from './alias.entity';
export * from './distribution-group.entity';
export * from './mailboxes.errors';
export * from './mailbox-fields';
export * from './mailbox-csv';
export * from './mailboxes.service';
export * from './mailboxes.module';

export * from './retention.service';
export * from './retention.module';
export * from './retention-policy';

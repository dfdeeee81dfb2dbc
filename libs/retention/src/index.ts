export * from './retention.service';
export * from './retention.module';

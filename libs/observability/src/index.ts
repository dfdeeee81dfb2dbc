export * from './logger';
export * from './metrics';
export * from './health.controller';
export * from './observability.module';
export * from './nest-logger';
export * from './run-process';

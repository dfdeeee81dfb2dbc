export * from './transition-effects';
export * from './continuity.module';

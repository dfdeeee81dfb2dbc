export * from './error-body';
export * from './zod-body';

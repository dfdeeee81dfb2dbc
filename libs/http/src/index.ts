export * from './error-body';
export * from './zod-body';
export * from './web-app-bundle';

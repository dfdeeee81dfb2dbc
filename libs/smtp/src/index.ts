export * from './smtp-reply';

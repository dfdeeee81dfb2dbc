export * from './dns-resolvers';

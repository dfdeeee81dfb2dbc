export * from './delivery.entity';

import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export function dataSourceOptions(cfg: Pick<AppConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>, appName = 'continuity'): DataSourceOptions {
  return {
    type: 'postgres',
    url: cfg.DATABASE_URL,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: appName,
    extra: { max: cfg.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000 },
  };
}

export function createDataSource(cfg: Pick<AppConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>, appName?: string): DataSource {
  return new DataSource(dataSourceOptions(cfg, appName));
}

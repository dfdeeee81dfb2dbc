import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { startApi } from './api.bootstrap';

async function main(): Promise<void> {
  const log = createLogger('api');
  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'invalid configuration');
    process.exit(2);
  }
  const api = await startApi(cfg);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    api.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

main().catch((err) => {
  createLogger('api').fatal({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, 'api failed to start');
  process.exit(1);
});

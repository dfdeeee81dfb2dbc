import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { startMx } from './mx.bootstrap';

async function main(): Promise<void> {
  const log = createLogger('mx');
  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'invalid configuration');
    process.exit(2);
  }
  const mx = await startMx(cfg);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    mx.stop().then(
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
  createLogger('mx').fatal({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, 'mx failed to start');
  process.exit(1);
});

import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { startWebmail } from './webmail.bootstrap';

async function main(): Promise<void> {
  const log = createLogger('webmail');
  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'invalid configuration');
    process.exit(2);
  }
  const webmail = await startWebmail(cfg);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    webmail.stop().then(
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
  createLogger('webmail').fatal({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, 'webmail failed to start');
  process.exit(1);
});

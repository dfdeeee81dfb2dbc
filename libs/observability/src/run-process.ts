import { AppConfig, loadConfig } from '@app/config';
import { createLogger } from './logger';

/** A started app that can be stopped gracefully. */
export interface Stoppable { stop(): Promise<void> }

/**
 * The life of one of our processes: validate the configuration (exit 2 if it
 * is wrong), start, and on SIGTERM or SIGINT stop gracefully (exit 0), or
 * exit 1 if starting or stopping fails. Every apps/<name>/src/main.ts is this.
 */
export function runProcess(name: string, start: (cfg: AppConfig) => Promise<Stoppable>): void {
  const log = createLogger(name);
  const main = async () => {
    let cfg: AppConfig;
    try {
      cfg = loadConfig();
    } catch (e) {
      log.fatal({ err: e instanceof Error ? e.message : String(e) }, 'invalid configuration');
      process.exit(2);
    }
    const app = await start(cfg);
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      app.stop().then(
        () => process.exit(0),
        (err) => {
          log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  };
  main().catch((err) => {
    log.fatal({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, `${name} failed to start`);
    process.exit(1);
  });
}

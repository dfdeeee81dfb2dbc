import { SMTPServer } from 'smtp-server';

/**
 * A fast SMTP sink for the benchmark: accepts every message, discards the
 * bytes, and counts recipients with the time of each message's arrival, so
 * the bench can tell when the last one arrived and how the arrivals spread.
 */
export interface CountingSink {
  port: number;
  recipients(): number;
  /** Arrival times (ms since the epoch) of the messages since the last reset. */
  arrivals(): number[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  let rcpts = 0;
  let times: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    size: 50 * 1024 * 1024,
    maxClients: 1000,
    onData(stream, session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        rcpts += session.envelope.rcptTo.length;
        times.push(Date.now());
        cb(null);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    recipients: () => rcpts,
    arrivals: () => times,
    reset: () => {
      rcpts = 0;
      times = [];
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { startTwilioStandin } from './twilio-standin';

/**
 * The Twilio stand-in for the demo: prints each text it receives and reports
 * delivery to the status callback. Point the worker at it with
 *   SMS_DRIVER=twilio TWILIO_BASE_URL=http://127.0.0.1:<port>
 *   TWILIO_ACCOUNT_SID=<sid> TWILIO_AUTH_TOKEN=<token> TWILIO_FROM=+15005550006
 * Usage: node dist/infra/twilio-standin/main.js [--port 4010] [--account-sid AC…] [--auth-token …]
 */
async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const standin = await startTwilioStandin({
    port: Number(arg('--port') ?? process.env.TWILIO_STANDIN_PORT ?? 4010),
    host: arg('--host') ?? '127.0.0.1',
    accountSid: arg('--account-sid') ?? process.env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000',
    authToken: arg('--auth-token') ?? process.env.TWILIO_AUTH_TOKEN ?? 'standin-auth-token',
    autoDeliver: !process.argv.includes('--no-deliver'),
    onMessage: (m) => process.stdout.write(JSON.stringify({ event: 'text', sid: m.sid, to: m.to, from: m.from ?? m.messagingServiceSid, body: m.body }) + '\n'),
  });
  process.stdout.write(JSON.stringify({ event: 'listening', url: standin.url, accountSid: standin.accountSid, authToken: standin.authToken }) + '\n');
  const stop = () => standin.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`twilio stand-in failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

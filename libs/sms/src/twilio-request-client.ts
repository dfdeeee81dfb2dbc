import RequestClient from 'twilio/lib/base/RequestClient';

/**
 * The SDK's HTTP client with every request sent to a Twilio-compatible base
 * URL instead of api.twilio.com (the SDK has no base-URL option). Only the
 * scheme, host and port change, plus an optional path prefix of the base:
 * `https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json` becomes
 * `<base>/2010-04-01/Accounts/AC…/Messages.json`.
 */
export class TwilioCompatibleRequestClient extends RequestClient {
  private readonly base: URL;

  constructor(baseUrl: string, opts?: RequestClient.RequestClientOptions) {
    super(opts);
    this.base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUri(opts.uri, this.base) });
  }
}

export function rewriteTwilioUri(uri: string, base: URL): string {
  const u = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${prefix}${u.pathname}${u.search}`;
}

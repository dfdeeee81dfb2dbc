/** The stand-in upstream for tests (one import path for every test tier). */
export { startStandinUpstream, generateStandinCertificate, readStored } from '../../infra/standin-upstream/standin-upstream';
export type { StandinUpstream, StandinUpstreamOptions, StoredMessage } from '../../infra/standin-upstream/standin-upstream';

import { CreateMailPath1764086400000 } from './1764086400000-CreateMailPath';
import { AddContinuityControl1764172800000 } from './1764172800000-AddContinuityControl';
import { AddCredentialsAndSms1764172801000 } from './1764172801000-AddCredentialsAndSms';
import { AddHoldAndReplay1764172802000 } from './1764172802000-AddHoldAndReplay';
import { AddOutboundConnectors1764172803000 } from './1764172803000-AddOutboundConnectors';
import { AddDkimAndAuthResults1764172804000 } from './1764172804000-AddDkimAndAuthResults';

/** Listed explicitly so that the compiled build and the tests run the same set, in order. */
export const MIGRATIONS = [CreateMailPath1764086400000, AddContinuityControl1764172800000, AddCredentialsAndSms1764172801000, AddHoldAndReplay1764172802000, AddOutboundConnectors1764172803000, AddDkimAndAuthResults1764172804000];

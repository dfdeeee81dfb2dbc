import { CreateMailPath1764086400000 } from './1764086400000-CreateMailPath';
import { AddContinuityControl1764172800000 } from './1764172800000-AddContinuityControl';
import { AddCredentialsAndSms1764172801000 } from './1764172801000-AddCredentialsAndSms';
import { AddHoldAndReplay1764172802000 } from './1764172802000-AddHoldAndReplay';
import { AddOutboundConnectors1764172803000 } from './1764172803000-AddOutboundConnectors';
import { AddDkimAndAuthResults1764172804000 } from './1764172804000-AddDkimAndAuthResults';
import { AddSharedMailboxAccess1764499999000 } from './1764499999000-AddSharedMailboxAccess';
import { AddAdminAccess1764500000000 } from './1764500000000-AddAdminAccess';
import { AddTenantSettings1764500001000 } from './1764500001000-AddTenantSettings';
import { AddWebmailAccounts1764500002000 } from './1764500002000-AddWebmailAccounts';
import { AddWebmailFolders1764500003000 } from './1764500003000-AddWebmailFolders';
import { AddWebmailSending1764500004000 } from './1764500004000-AddWebmailSending';
import { AddScimIdentity1764500005000 } from './1764500005000-AddScimIdentity';
import { AddOperatorTools1764500006000 } from './1764500006000-AddOperatorTools';
import { AddUpstreamPrivateAddressApproval1764500007000 } from './1764500007000-AddUpstreamPrivateAddressApproval';
import { AddMailboxThreads1764500008000 } from './1764500008000-AddMailboxThreads';

/** Listed explicitly so that the compiled build and the tests run the same set, in order. */
export const MIGRATIONS = [
  CreateMailPath1764086400000,
  AddContinuityControl1764172800000,
  AddCredentialsAndSms1764172801000,
  AddHoldAndReplay1764172802000,
  AddOutboundConnectors1764172803000,
  AddDkimAndAuthResults1764172804000,
  AddSharedMailboxAccess1764499999000,
  AddAdminAccess1764500000000,
  AddTenantSettings1764500001000,
  AddWebmailAccounts1764500002000,
  AddWebmailFolders1764500003000,
  AddWebmailSending1764500004000,
  AddScimIdentity1764500005000,
  AddOperatorTools1764500006000,
  AddUpstreamPrivateAddressApproval1764500007000,
  AddMailboxThreads1764500008000,
];

import { Tenant } from '@app/tenants/tenant.entity';
import { TenantDomain } from '@app/tenants/tenant-domain.entity';
import { UpstreamGroup } from '@app/tenants/upstream-group.entity';
import { Upstream } from '@app/tenants/upstream.entity';
import { Mailbox } from '@app/mailboxes/mailbox.entity';
import { Alias } from '@app/mailboxes/alias.entity';
import { DistributionGroup, GroupMember } from '@app/mailboxes/distribution-group.entity';
import { Message } from '@app/messages/message.entity';
import { MirrorEntry } from '@app/messages/mirror-entry.entity';
import { Delivery } from '@app/delivery/delivery.entity';
import { TenantAdmin } from '@app/continuity/tenant-admin.entity';

/** Every entity of the one DataSource; domain libraries own their files. */
export const ENTITIES = [Tenant, TenantDomain, UpstreamGroup, Upstream, Mailbox, Alias, DistributionGroup, GroupMember, Message, MirrorEntry, Delivery, TenantAdmin];

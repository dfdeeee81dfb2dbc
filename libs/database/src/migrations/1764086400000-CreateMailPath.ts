import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, their domains, upstreams and directory; messages, per-recipient deliveries and the mirror. */
export class CreateMailPath1764086400000 implements MigrationInterface {
  name = 'CreateMailPath1764086400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        slug text NOT NULL UNIQUE,
        mode text NOT NULL DEFAULT 'normal' CHECK (mode IN ('normal','active','recovering','drill')),
        unknown_recipient_policy text NOT NULL DEFAULT 'reject' CHECK (unknown_recipient_policy IN ('reject','passthrough')),
        delivery_lifetime_seconds integer NOT NULL DEFAULT 432000 CHECK (delivery_lifetime_seconds BETWEEN 60 AND 2592000),
        rolling_window_days integer NOT NULL DEFAULT 30 CHECK (rolling_window_days BETWEEN 1 AND 3650),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tenant_domains (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL UNIQUE CHECK (name = lower(name) AND name !~ '\\.$'),
        verification_token text NOT NULL,
        verified_at timestamptz,
        verified_by text CHECK (verified_by IN ('dns','operator')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tenant_domains_tenant_idx ON tenant_domains (tenant_id)`);
    await q.query(`
      CREATE TABLE upstream_groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
    await q.query(`
      CREATE TABLE upstreams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        group_id uuid NOT NULL REFERENCES upstream_groups(id) ON DELETE CASCADE,
        host text NOT NULL,
        port integer NOT NULL DEFAULT 25 CHECK (port BETWEEN 1 AND 65535),
        priority integer NOT NULL DEFAULT 10,
        tls_policy text NOT NULL DEFAULT 'verify' CHECK (tls_policy IN ('verify','pinned','none')),
        pinned_cert_pem text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (tls_policy <> 'pinned' OR pinned_cert_pem IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX upstreams_tenant_idx ON upstreams (tenant_id)`);
    await q.query(`CREATE INDEX upstreams_group_idx ON upstreams (group_id)`);
    await q.query(`
      CREATE TABLE mailboxes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        address text NOT NULL UNIQUE CHECK (address = lower(address)),
        display_name text NOT NULL DEFAULT '',
        mobile_e164 text CHECK (mobile_e164 ~ '^\\+[1-9][0-9]{6,14}$'),
        alternate_email text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
        kind text NOT NULL DEFAULT 'user' CHECK (kind IN ('user','shared')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX mailboxes_tenant_idx ON mailboxes (tenant_id)`);
    await q.query(`
      CREATE TABLE aliases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        address text NOT NULL UNIQUE CHECK (address = lower(address)),
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX aliases_tenant_idx ON aliases (tenant_id)`);
    await q.query(`
      CREATE TABLE distribution_groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        address text NOT NULL UNIQUE CHECK (address = lower(address)),
        display_name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX distribution_groups_tenant_idx ON distribution_groups (tenant_id)`);
    await q.query(`
      CREATE TABLE group_members (
        group_id uuid NOT NULL REFERENCES distribution_groups(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, mailbox_id)
      )`);
    await q.query(`CREATE INDEX group_members_tenant_idx ON group_members (tenant_id)`);
    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        queue_id text NOT NULL UNIQUE,
        direction text NOT NULL CHECK (direction IN ('inbound','outbound','dsn')),
        blob_key text NOT NULL,
        size_bytes bigint NOT NULL,
        mail_from text NOT NULL,
        rcpt_to text[] NOT NULL,
        client_address text,
        client_helo text,
        body_8bitmime boolean NOT NULL DEFAULT false,
        smtputf8 boolean NOT NULL DEFAULT false,
        received_at timestamptz NOT NULL,
        index_state text NOT NULL DEFAULT 'pending' CHECK (index_state IN ('pending','indexed','unparseable')),
        index_error text,
        indexed_at timestamptz,
        from_addr jsonb,
        to_addr jsonb,
        cc_addr jsonb,
        subject text,
        header_date timestamptz,
        message_id_header text,
        in_reply_to text,
        references_ids text[],
        snippet text,
        attachments jsonb,
        body_text text,
        search_vector tsvector,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX messages_tenant_idx ON messages (tenant_id, received_at)`);
    await q.query(`CREATE INDEX messages_pending_index_idx ON messages (received_at) WHERE index_state = 'pending'`);
    await q.query(`CREATE INDEX messages_message_id_header_idx ON messages (tenant_id, message_id_header)`);
    await q.query(`CREATE INDEX messages_search_idx ON messages USING gin (search_vector)`);
    await q.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        recipient text NOT NULL,
        route_kind text NOT NULL CHECK (route_kind IN ('upstream','internet')),
        last_route text,
        state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','deferred','held','delivered','bounced','expired')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_reply text,
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        dsn_queue_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_id, recipient)
      )`);
    await q.query(`CREATE INDEX deliveries_tenant_idx ON deliveries (tenant_id, state)`);
    await q.query(`CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state IN ('queued','deferred')`);
    await q.query(`
      CREATE TABLE mirror_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        folder text NOT NULL CHECK (folder IN ('inbox','sent')),
        flags text[] NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL,
        UNIQUE (mailbox_id, message_id, folder)
      )`);
    await q.query(`CREATE INDEX mirror_entries_list_idx ON mirror_entries (mailbox_id, folder, received_at DESC)`);
    await q.query(`CREATE INDEX mirror_entries_tenant_idx ON mirror_entries (tenant_id, received_at)`);
    await q.query(`CREATE INDEX mirror_entries_message_idx ON mirror_entries (message_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['mirror_entries', 'deliveries', 'messages', 'group_members', 'distribution_groups', 'aliases', 'mailboxes', 'upstreams', 'upstream_groups', 'tenant_domains', 'tenants']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant settings the admin API edits: webmail branding, SMS sender, templates and spend cap. */
export class AddTenantSettings1764500001000 implements MigrationInterface {
  name = 'AddTenantSettings1764500001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS webmail_brand_name text`);
    // A small data: URL (png/jpeg/webp only; the API validates type and size).
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS webmail_logo_data_url text`);
    await q.query(
      `ALTER TABLE tenants ADD COLUMN IF NOT EXISTS webmail_primary_color text CHECK (webmail_primary_color IS NULL OR webmail_primary_color ~ '^#[0-9a-fA-F]{6}$')`,
    );
    // Whether employees may sign in to the webmail to practise when no continuity event is running.
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS webmail_practice_signin boolean NOT NULL DEFAULT false`);
    // E.164 number or alphanumeric sender id; NULL = the configured default sender.
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS sms_sender text`);
    // { "<language>": { "<kind>": "<template>" } }; missing entries fall back to the built-in texts.
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS sms_templates jsonb NOT NULL DEFAULT '{}'`);
    // Hourly SMS cap for this tenant; NULL = the configured SMS_TENANT_CAP_PER_HOUR.
    await q.query(
      `ALTER TABLE tenants ADD COLUMN IF NOT EXISTS sms_cap_per_hour integer CHECK (sms_cap_per_hour IS NULL OR sms_cap_per_hour >= 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of [
      'sms_cap_per_hour',
      'sms_templates',
      'sms_sender',
      'webmail_practice_signin',
      'webmail_primary_color',
      'webmail_logo_data_url',
      'webmail_brand_name',
    ]) {
      await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS ${c}`);
    }
  }
}

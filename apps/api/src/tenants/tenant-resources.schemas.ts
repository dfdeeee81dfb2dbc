import { z } from 'zod';
import { SMS_TEMPLATE_MAX_LENGTH, smsTemplateProblem, SmsTemplateKind } from '@app/credentials/credential-texts';
import { brandNameProblem, DELIVERY_LIFETIME_RANGE, logoDataUrlProblem, primaryColorProblem, ROLLING_WINDOW_RANGE, SMS_CAP_RANGE, smsSenderProblem } from '@app/tenants';

/** Bodies of the tenant resource routes; a failure is a 400 naming the field (ZodBody). */

/** A refinement from one of the pure checks, so its reason reaches the client with the field. */
function checked(problem: (v: string) => string | null) {
  return (v: string, ctx: z.RefinementCtx) => {
    const why = problem(v);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  };
}

const slug = z.string().trim().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1–63 lower-case letters, digits and inner hyphens');
const language = z.enum(['en', 'de']);
const unknownRecipientPolicy = z.enum(['reject', 'passthrough']);
const rollingWindowDays = z.number().int().min(ROLLING_WINDOW_RANGE.min).max(ROLLING_WINDOW_RANGE.max);
const deliveryLifetimeSeconds = z.number().int().min(DELIVERY_LIFETIME_RANGE.min).max(DELIVERY_LIFETIME_RANGE.max);

export const CreateTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  slug: slug.optional(),
  language: language.optional(),
  unknownRecipientPolicy: unknownRecipientPolicy.optional(),
  rollingWindowDays: rollingWindowDays.optional(),
  deliveryLifetimeSeconds: deliveryLifetimeSeconds.optional(),
});

export const UpdateTenantBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  deliveryLifetimeSeconds: deliveryLifetimeSeconds.optional(),
});

export const DeleteTenantBody = z.strictObject({
  /** Must repeat the tenant's slug: deleting a tenant deletes all its mail. */
  confirmSlug: z.string().min(1),
});

export const AddDomainBody = z.strictObject({ name: z.string().trim().min(1).max(253) });
export const UpdateDomainBody = z.strictObject({ signOutbound: z.boolean() });
export const CreateDkimKeyBody = z.strictObject({ algorithm: z.enum(['rsa', 'ed25519']).default('rsa') });

const groupName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1–63 letters, digits, dots, hyphens or underscores');
export const UpstreamGroupBody = z.strictObject({ name: groupName });

const pem = z.string().max(20_000).regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM-encoded certificate');
const upstreamFields = {
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  priority: z.number().int().min(0).max(1000),
  tlsPolicy: z.enum(['verify', 'pinned', 'none']),
};
export const AddUpstreamBody = z
  .strictObject({ ...upstreamFields, port: upstreamFields.port.optional(), priority: upstreamFields.priority.optional(), tlsPolicy: upstreamFields.tlsPolicy.optional(), pinnedCertPem: pem.optional() })
  .superRefine((b, ctx) => {
    if (b.tlsPolicy === 'pinned' && !b.pinnedCertPem) ctx.addIssue({ code: 'custom', path: ['pinnedCertPem'], message: 'TLS policy "pinned" needs the server certificate in PEM form' });
    if (b.pinnedCertPem && b.tlsPolicy !== 'pinned') ctx.addIssue({ code: 'custom', path: ['pinnedCertPem'], message: 'a pinned certificate needs tlsPolicy "pinned"' });
  });
export const UpdateUpstreamBody = z.strictObject({
  host: upstreamFields.host.optional(),
  port: upstreamFields.port.optional(),
  priority: upstreamFields.priority.optional(),
  tlsPolicy: upstreamFields.tlsPolicy.optional(),
  pinnedCertPem: pem.nullable().optional(),
});

const email = z.string().trim().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an e-mail address').max(320);
export const TestUpstreamGroupBody = z.strictObject({
  /** Also send MAIL FROM:<> and RCPT TO this address (then RSET); absent: the tenant's canary setting; null: none. */
  canaryAddress: email.nullable().optional(),
});

export const AddConnectorBody = z.strictObject({
  name: z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1–63 of a-z, 0-9, ".", "_", "-"'),
  sourceCidrs: z.array(z.string().trim().min(1).max(64)).max(100).optional(),
  auth: z.boolean().optional(),
  authUsername: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, 'may hold only letters, digits and . _ @ + -').optional(),
  requireTls: z.boolean().optional(),
  messagesPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  recipientsPerMinute: z.number().int().min(1).max(10_000_000).optional(),
}).superRefine((b, ctx) => {
  if (!b.sourceCidrs?.length && !b.auth && !b.authUsername) ctx.addIssue({ code: 'custom', path: ['sourceCidrs'], message: 'a connector needs source networks, SMTP AUTH credentials (auth: true), or both' });
});

function template(kind: SmsTemplateKind) {
  return z.string().max(SMS_TEMPLATE_MAX_LENGTH).superRefine(checked((v) => smsTemplateProblem(kind, v)));
}
const templatesOfLanguage = z.strictObject({ credentials: template('credentials').optional(), backToNormal: template('backToNormal').optional() });

const seconds = (max: number) => z.number().int().min(0).max(max);
export const UpdateSettingsBody = z.strictObject({
  continuity: z
    .strictObject({
      upstreamKind: z.enum(['on-premises', 'exchange-online']).optional(),
      policy: z.enum(['automatic', 'confirm', 'manual']).nullable().optional(),
      probeIntervalSeconds: z.number().int().min(1).max(3600).optional(),
      failureThreshold: z.number().int().min(1).max(1000).optional(),
      failureWindowSeconds: seconds(86400).optional(),
      hysteresisSeconds: seconds(604800).optional(),
      autoSwitchBack: z.boolean().optional(),
      healthyBeforeSwitchBackSeconds: seconds(604800).optional(),
      confirmTimeoutSeconds: seconds(604800).nullable().optional(),
      canaryAddress: email.nullable().optional(),
    })
    .optional(),
  rollingWindowDays: rollingWindowDays.optional(),
  unknownRecipientPolicy: unknownRecipientPolicy.optional(),
  rejectOnDmarcFail: z.boolean().optional(),
  language: language.optional(),
  webmail: z
    .strictObject({
      brandName: z.string().superRefine(checked(brandNameProblem)).transform((v) => v.trim()).nullable().optional(),
      logoDataUrl: z.string().max(100_000, 'the logo is too large (at most 64 KiB)').superRefine(checked(logoDataUrlProblem)).nullable().optional(),
      primaryColor: z.string().superRefine(checked(primaryColorProblem)).transform((v) => v.toLowerCase()).nullable().optional(),
      practiceSignin: z.boolean().optional(),
    })
    .optional(),
  sms: z
    .strictObject({
      sender: z.string().superRefine(checked(smsSenderProblem)).nullable().optional(),
      /** Replaces all of the tenant's templates ({} or null: the built-in texts). */
      templates: z.strictObject({ en: templatesOfLanguage.optional(), de: templatesOfLanguage.optional() }).nullable().optional(),
      capPerHour: z.number().int().min(SMS_CAP_RANGE.min).max(SMS_CAP_RANGE.max).nullable().optional(),
    })
    .optional(),
});

export type CreateTenantBody = z.infer<typeof CreateTenantBody>;
export type UpdateTenantBody = z.infer<typeof UpdateTenantBody>;
export type UpdateSettingsBody = z.infer<typeof UpdateSettingsBody>;

import { HttpError } from '@app/http';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { checkContinuitySettings, ContinuityService, ContinuitySettingsPatch } from '@app/continuity/continuity.service';
import type { ContinuityPolicyKind, UpstreamKind } from '@app/continuity/continuity-state-machine';
import { SmsTemplates, Tenant, TenantSettingsPatch, TenantsService } from '@app/tenants';
import type { UpdateSettingsBody } from './tenant-resources.schemas';

export interface TenantSettingsView {
  continuity: {
    upstreamKind: UpstreamKind;
    /** null: the default for the upstream kind (effectivePolicy says which). */
    policy: ContinuityPolicyKind | null;
    effectivePolicy: ContinuityPolicyKind;
    probeIntervalSeconds: number;
    failureThreshold: number;
    failureWindowSeconds: number;
    hysteresisSeconds: number;
    autoSwitchBack: boolean;
    healthyBeforeSwitchBackSeconds: number;
    confirmTimeoutSeconds: number | null;
    canaryAddress: string | null;
  };
  rollingWindowDays: number;
  unknownRecipientPolicy: Tenant['unknownRecipientPolicy'];
  /** Refuse inbound mail that fails DMARC under the sender domain's p=reject (550 5.7.1 before our 250); false: deliver it with a warning. */
  rejectOnDmarcFail: boolean;
  language: Tenant['language'];
  webmail: { brandName: string | null; logoDataUrl: string | null; primaryColor: string | null; practiceSignin: boolean };
  sms: { sender: string | null; templates: SmsTemplates; capPerHour: number | null; effectiveCapPerHour: number };
}

/** A tenant's settings in one place: continuity policy (ContinuityService) and the tenant's own columns (TenantsService). */
@Injectable()
export class TenantSettingsService {
  constructor(
    private readonly tenants: TenantsService,
    private readonly continuity: ContinuityService,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'SMS_TENANT_CAP_PER_HOUR'>,
  ) {}

  async get(tenantId: string): Promise<TenantSettingsView> {
    const tenant = await this.tenants.findTenantById(tenantId);
    const c = await this.continuity.load(tenant.id);
    return {
      continuity: {
        upstreamKind: c.upstreamKind,
        policy: c.chosenPolicy,
        effectivePolicy: c.policy.kind,
        probeIntervalSeconds: c.probeIntervalSeconds,
        failureThreshold: c.policy.failureThreshold,
        failureWindowSeconds: c.policy.failureWindowSeconds,
        hysteresisSeconds: c.policy.hysteresisSeconds,
        autoSwitchBack: c.policy.autoSwitchBack,
        healthyBeforeSwitchBackSeconds: c.policy.healthyBeforeSwitchBackSeconds,
        confirmTimeoutSeconds: c.policy.confirmTimeoutSeconds,
        canaryAddress: c.canaryAddress,
      },
      rollingWindowDays: tenant.rollingWindowDays,
      unknownRecipientPolicy: tenant.unknownRecipientPolicy,
      rejectOnDmarcFail: tenant.rejectOnDmarcFail,
      language: tenant.language,
      webmail: { brandName: tenant.webmailBrandName, logoDataUrl: tenant.webmailLogoDataUrl, primaryColor: tenant.webmailPrimaryColor, practiceSignin: tenant.webmailPracticeSignin },
      sms: { sender: tenant.smsSender, templates: tenant.smsTemplates ?? {}, capPerHour: tenant.smsCapPerHour, effectiveCapPerHour: tenant.smsCapPerHour ?? this.cfg.SMS_TENANT_CAP_PER_HOUR },
    };
  }

  /** Applies the fields given (null clears a nullable one); both parts are checked before either is written. */
  async update(tenantId: string, body: UpdateSettingsBody, byOperator = false): Promise<TenantSettingsView> {
    const tenant = await this.tenants.findTenantById(tenantId);
    // The hourly cap protects the provider's Twilio spend against SMS pumping: a tenant may
    // lower it, only an operator may raise it above the service's own cap.
    const cap = body.sms?.capPerHour;
    if (!byOperator && typeof cap === 'number' && cap > this.cfg.SMS_TENANT_CAP_PER_HOUR) {
      throw new HttpError(403, 'sms_cap_above_service_cap', `sms.capPerHour: at most ${this.cfg.SMS_TENANT_CAP_PER_HOUR} texts an hour; ask your provider for a higher cap`);
    }
    const continuity: ContinuitySettingsPatch | null = body.continuity && Object.keys(body.continuity).length ? checkContinuitySettings(body.continuity) : null;
    const own: TenantSettingsPatch = {
      rollingWindowDays: body.rollingWindowDays,
      unknownRecipientPolicy: body.unknownRecipientPolicy,
      rejectOnDmarcFail: body.rejectOnDmarcFail,
      language: body.language,
      webmailBrandName: body.webmail?.brandName,
      webmailLogoDataUrl: body.webmail?.logoDataUrl,
      webmailPrimaryColor: body.webmail?.primaryColor,
      webmailPracticeSignin: body.webmail?.practiceSignin,
      smsSender: body.sms?.sender,
      smsTemplates: body.sms?.templates === null ? {} : body.sms?.templates,
      smsCapPerHour: body.sms?.capPerHour,
    };
    if (continuity) await this.continuity.updateSettings(tenant.id, continuity);
    await this.tenants.updateTenantSettings(tenant.id, own);
    return this.get(tenant.id);
  }
}

/** The settings a change touched, for the audit log (the logo is summarised, never copied in). */
export function changedSettings(body: UpdateSettingsBody): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (body.webmail) out.webmail = { ...body.webmail, ...(body.webmail.logoDataUrl !== undefined ? { logoDataUrl: body.webmail.logoDataUrl === null ? null : `(${body.webmail.logoDataUrl.length} characters)` } : {}) };
  return out;
}

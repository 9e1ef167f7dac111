// The settings form's editable copy of GET /api/admin/settings (text for every number, so a
// half-typed value stays on screen) and its translation back into the PUT body.
import type { AdminSettings, AdminSettingsUpdate, PackageInput, ProvidersUpdate } from '../../../api/generated';
import { zKindNumbersUpdate } from '../../../api/zod.gen';
import {
  providersUpdateChat_providerAnyOf0Values,
  providersUpdateGemini_modeAnyOf0Values,
  providersUpdateImage_providerAnyOf0Values,
  providersUpdateVideo_providerAnyOf0Values,
} from '../../../api/generated';

export type Kind = 'video' | 'image' | 'chat';
export const KINDS: Kind[] = ['video', 'image', 'chat'];
export const KEY_FIELDS = ['gemini_api_key', 'openai_api_key', 'stripe_secret_key', 'stripe_webhook_secret'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];
// C2PA signing credentials (PEM, several lines; write-only like the keys).
export const PEM_FIELDS = ['c2pa_certificate_chain', 'c2pa_private_key'] as const;
export type PemField = (typeof PEM_FIELDS)[number];
// From the backend's provider catalogue (common/providers/catalogue.py) via openapi.json.
const named = <T,>(values: ReadonlyArray<T | null>): T[] => values.filter((v): v is T => v !== null);
export const PROVIDER_CHOICES = {
  image_provider: named(providersUpdateImage_providerAnyOf0Values),
  video_provider: named(providersUpdateVideo_providerAnyOf0Values),
  chat_provider: named(providersUpdateChat_providerAnyOf0Values),
  gemini_mode: named(providersUpdateGemini_modeAnyOf0Values),
} as const;
export const TEXT_PROVIDER_FIELDS = [
  'image_model',
  'veo_model',
  'sora_model',
  'chat_model',
  'gemini_base_url',
  'openai_base_url',
  'vertex_project',
  'vertex_location',
] as const;
// Which provider list (GET /api/admin/models) and which kind of model each model field offers.
export const MODEL_SOURCES: Partial<Record<string, { vendor: 'gemini' | 'openai'; kind: 'image' | 'video' | 'chat' }>> = {
  image_model: { vendor: 'gemini', kind: 'image' },
  veo_model: { vendor: 'gemini', kind: 'video' },
  chat_model: { vendor: 'gemini', kind: 'chat' },
  sora_model: { vendor: 'openai', kind: 'video' },
};
export const TESTABLE_KEYS: readonly string[] = ['gemini_api_key', 'openai_api_key'];

export interface Draft {
  quotas: Record<Kind, string>;
  costs: Record<Kind, string>;
  packages: { id: string; name: string; credits: string; price: string; currency: string }[];
  providers: AdminSettings['providers'];
  cors: string;
  keys: Record<KeyField, string>;
  timezone: string;
  watermarkOn: boolean;
  watermarkText: string;
  c2paOn: boolean;
  pem: Record<PemField, string>;
}

/** The form's starting point: the server's copy, keys and PEM fields empty (empty = keep). */
export function toDraft(s: AdminSettings): Draft {
  const nums = (v: AdminSettings['pricing']['quotas']) => ({ video: String(v.video), image: String(v.image), chat: String(v.chat) });
  return {
    quotas: nums(s.pricing.quotas),
    costs: nums(s.pricing.costs),
    packages: s.packages.map((p) => ({ id: p.id, name: p.name, credits: String(p.credits), price: (p.price_cents / 100).toFixed(2), currency: p.currency })),
    providers: { ...s.providers },
    cors: s.cors_origins.join('\n'),
    keys: { gemini_api_key: '', openai_api_key: '', stripe_secret_key: '', stripe_webhook_secret: '' },
    timezone: s.pricing.quota_timezone ?? 'UTC',
    watermarkOn: Boolean(s.watermark?.enabled),
    watermarkText: s.watermark?.text ?? '',
    c2paOn: Boolean(s.provenance?.c2pa),
    pem: { c2pa_certificate_chain: '', c2pa_private_key: '' },
  };
}

// A daily quota or a cost: a whole number in the API's range (KindNumbersUpdate in openapi.json).
const count = zKindNumbersUpdate.shape.video.removeDefault().unwrap().unwrap();

/** Whether the typed text is a quota or cost the API takes. */
export const isCount = (v: string) => /^\d+$/.test(v.trim()) && count.safeParse(Number(v)).success;

/** The PUT body: only valid whole numbers; keys only when typed (empty = keep). `{ error: kind }` names the first bad number. */
export function toUpdate(d: Draft): AdminSettingsUpdate | { error: string } {
  for (const group of [d.quotas, d.costs]) for (const k of KINDS) if (!isCount(group[k])) return { error: k };
  const count = (g: Record<Kind, string>) => ({ video: Number(g.video), image: Number(g.image), chat: Number(g.chat) });
  const packages: PackageInput[] = d.packages.map((p) => ({
    id: p.id.trim(),
    name: p.name.trim(),
    credits: Number(p.credits),
    price_cents: Math.round(Number(p.price) * 100),
    currency: p.currency.trim().toLowerCase(),
  }));
  const keys: Partial<Record<KeyField | PemField, string>> = {};
  for (const k of KEY_FIELDS) if (d.keys[k].trim()) keys[k] = d.keys[k].trim();
  for (const k of PEM_FIELDS) if (d.pem[k].trim()) keys[k] = d.pem[k].trim();
  return {
    pricing: { quotas: count(d.quotas), costs: count(d.costs), quota_timezone: d.timezone.trim() || 'UTC' },
    watermark: { enabled: d.watermarkOn, text: d.watermarkText.trim() },
    provenance: { c2pa: d.c2paOn },
    packages,
    providers: { ...d.providers } as ProvidersUpdate, // the selects only offer the allowed values
    cors_origins: d.cors
      .split(/\s+/)
      .map((o) => o.trim())
      .filter(Boolean),
    api_keys: keys,
  };
}

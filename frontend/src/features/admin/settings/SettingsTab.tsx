import { useState, type FormEvent } from 'react';
import type { AdminSettings } from '../../../api/generated';
import { errorMessage } from '../../../api/apiService';
import { Button } from '../../../components/ui/Button';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { Input, Textarea } from '../../../components/ui/Input';
import { Select } from '../../../components/ui/Select';
import { ErrorState, LoadingState } from '../../../components/ui/States';
import { useToast } from '../../../components/ui/Toast';
import { useI18n, type MessageKey } from '../../../i18n';
import { useAdminText } from '../text';
import { useAdminSettings, useLoadModels, useSaveSettings, useTestKey, type ModelLists } from './api';
import {
  KEY_FIELDS,
  KINDS,
  MODEL_SOURCES,
  PEM_FIELDS,
  PROVIDER_CHOICES,
  TESTABLE_KEYS,
  TEXT_PROVIDER_FIELDS,
  isCount,
  toDraft,
  toUpdate,
  type Draft,
} from './draft';

// IANA names for the quota time zone's search box (the server validates against the tz database).
const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Asia/Shanghai'];
  }
})();

const NO_MODELS: ModelLists = { gemini: [], openai: [] };

/**
 * Runtime settings: quotas and costs, packages, providers and models, CORS, the quota time zone,
 * watermark and C2PA, and the write-only keys. The form edits a copy of the server's settings;
 * a new server copy (after saving, or a refetch that changed something) starts a fresh copy.
 */
export function SettingsTab() {
  const { t } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const settings = useAdminSettings();
  const save = useSaveSettings();
  const loadModels = useLoadModels();
  const testKey = useTestKey();
  const [edit, setEdit] = useState<{ from: AdminSettings; draft: Draft } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const server = settings.data;
  if (!server) return settings.isError ? <ErrorState error={settings.error} onRetry={() => void settings.refetch()} /> : <LoadingState />;
  // The edited copy belongs to the server copy it was made from; a newer server copy wins.
  const draft = edit?.from === server ? edit.draft : toDraft(server);
  const models = loadModels.data ?? NO_MODELS;
  const keyStates = server.api_keys;

  const set = (fn: (d: Draft) => void) => {
    const next = structuredClone(draft);
    fn(next);
    setEdit({ from: server, draft: next });
  };

  const onLoadModels = () =>
    loadModels.mutate(undefined, {
      onSuccess: (lists) => toast.show(a('modelsLoaded', { n: lists.gemini.length + lists.openai.length }), 'success'),
    });
  const onTestKey = (name: string, key: string) =>
    testKey.mutate(
      { name, key },
      {
        onSuccess: (result) => toast.show(result.message, result.ok ? 'success' : 'error'),
        onError: (error) => toast.show(errorMessage(error), 'error'),
      },
    );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const update = toUpdate(draft);
    if ('error' in update) {
      setLocalError(`${update.error}: ${a('integerError')}`);
      return;
    }
    setLocalError(null);
    save.mutate(update, { onSuccess: () => toast.show(t('admin.saved'), 'success') });
  };

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4" data-testid="admin-settings" noValidate>
      <GlassPanel className="grid gap-4 sm:grid-cols-2">
        {(['quotas', 'costs'] as const).map((group) => (
          <fieldset key={group} className="flex flex-col gap-2">
            <legend className="label">{a(group)}</legend>
            <div className="grid grid-cols-3 gap-2">
              {KINDS.map((k) => (
                <Input
                  key={k}
                  label={t(`kind.${k}` as MessageKey)}
                  inputMode="numeric"
                  value={draft[group][k]}
                  onChange={(e) => set((d) => void (d[group][k] = e.target.value))}
                  error={isCount(draft[group][k]) ? null : a('integerError')}
                  data-testid={`settings-${group}-${k}`}
                />
              ))}
            </div>
          </fieldset>
        ))}
      </GlassPanel>

      <GlassPanel className="flex flex-col gap-2">
        <h3 className="label">{a('packages')}</h3>
        {draft.packages.map((p, i) => (
          <div key={i} className="grid grid-cols-2 items-end gap-2 sm:grid-cols-6" data-testid="settings-package">
            <Input label="id" value={p.id} onChange={(e) => set((d) => void (d.packages[i].id = e.target.value))} />
            <Input label="name" value={p.name} onChange={(e) => set((d) => void (d.packages[i].name = e.target.value))} />
            <Input label="credits" inputMode="numeric" value={p.credits} onChange={(e) => set((d) => void (d.packages[i].credits = e.target.value))} />
            <Input label="price" inputMode="decimal" value={p.price} onChange={(e) => set((d) => void (d.packages[i].price = e.target.value))} />
            <Input label="currency" value={p.currency} maxLength={3} onChange={(e) => set((d) => void (d.packages[i].currency = e.target.value))} />
            <Button variant="subtle" onClick={() => set((d) => void d.packages.splice(i, 1))}>
              {a('remove')}
            </Button>
          </div>
        ))}
        <Button
          size="sm"
          className="self-start"
          onClick={() => set((d) => void d.packages.push({ id: '', name: '', credits: '100', price: '4.99', currency: 'usd' }))}
        >
          {a('addPackage')}
        </Button>
      </GlassPanel>

      <GlassPanel className="grid gap-3 sm:grid-cols-3">
        <h3 className="label sm:col-span-3">{a('providers')}</h3>
        {(Object.keys(PROVIDER_CHOICES) as (keyof typeof PROVIDER_CHOICES)[]).map((field) => (
          <Select
            key={field}
            label={field}
            value={draft.providers[field]}
            onChange={(e) => set((d) => void (d.providers[field] = e.target.value))}
            options={PROVIDER_CHOICES[field].map((v) => ({ value: v, label: v }))}
            data-testid={`settings-${field}`}
          />
        ))}
        {TEXT_PROVIDER_FIELDS.map((field) => {
          const source = MODEL_SOURCES[field];
          const options = source ? models[source.vendor].filter((m) => m.kinds.includes(source.kind)) : [];
          return (
            <div key={field}>
              <Input
                label={field}
                value={draft.providers[field] ?? ''}
                list={options.length ? `models-${field}` : undefined}
                onChange={(e) => set((d) => void (d.providers[field] = e.target.value))}
                data-testid={`settings-${field}`}
              />
              {options.length > 0 && (
                <datalist id={`models-${field}`}>
                  {options.map((m) => (
                    <option key={m.id} value={m.id} label={m.display_name} />
                  ))}
                </datalist>
              )}
            </div>
          );
        })}
        <Button size="sm" className="self-start" onClick={onLoadModels} data-testid="settings-load-models">
          {a('loadModels')}
        </Button>
      </GlassPanel>

      <GlassPanel className="flex flex-col gap-3">
        <Textarea label={a('cors')} rows={3} value={draft.cors} onChange={(e) => set((d) => void (d.cors = e.target.value))} data-testid="settings-cors" />
      </GlassPanel>

      <GlassPanel className="grid gap-3 sm:grid-cols-2">
        <div>
          <Input label="Quota time zone (IANA)" list="sora-time-zones" value={draft.timezone} data-testid="settings-timezone"
            onChange={(e) => set((d) => void (d.timezone = e.target.value))} />
          <datalist id="sora-time-zones">
            {TIME_ZONES.map((z) => <option key={z} value={z} />)}
          </datalist>
        </div>
        <div className="flex flex-col gap-2">
          <label className="flex items-center gap-2 text-sm text-slate-300">
            <input type="checkbox" checked={draft.watermarkOn} data-testid="settings-watermark-on"
              onChange={(e) => set((d) => void (d.watermarkOn = e.target.checked))} />
            Visible watermark on new images and videos
          </label>
          <Input label="Watermark text" value={draft.watermarkText} maxLength={60} data-testid="settings-watermark-text"
            onChange={(e) => set((d) => void (d.watermarkText = e.target.value))} />
        </div>
        <div className="flex flex-col gap-2 sm:col-span-2">
          <label className="flex items-center gap-2 text-sm text-slate-300">
            <input type="checkbox" checked={draft.c2paOn} data-testid="settings-c2pa-on"
              onChange={(e) => set((d) => void (d.c2paOn = e.target.checked))} />
            C2PA manifest on new images and videos (AI-generated, provider, model; needs the certificate below)
          </label>
          {PEM_FIELDS.map((field) => (
            <Textarea key={field} label={field} rows={3} spellCheck={false} autoComplete="off"
              placeholder={keyStates?.[field]?.set ? a('keySetNoHint') : a('keyUnset')}
              value={draft.pem[field]} data-testid={`settings-${field}`}
              onChange={(e) => set((d) => void (d.pem[field] = e.target.value))} />
          ))}
        </div>
      </GlassPanel>

      <GlassPanel className="grid gap-3 sm:grid-cols-2">
        <h3 className="label sm:col-span-2">{a('apiKeys')}</h3>
        {KEY_FIELDS.map((field) => {
          const state = keyStates?.[field];
          const hint = state?.set ? (state.last4 ? a('keySet', { last4: state.last4 }) : a('keySetNoHint')) : a('keyUnset');
          const input = (
            <Input
              key={field}
              label={field}
              type="password"
              autoComplete="off"
              placeholder={a('keyPlaceholder')}
              hint={hint}
              value={draft.keys[field]}
              onChange={(e) => set((d) => void (d.keys[field] = e.target.value))}
              data-testid={`settings-${field}`}
            />
          );
          if (!TESTABLE_KEYS.includes(field)) return input;
          return (
            <div key={field} className="flex items-end gap-2">
              <div className="flex-1">{input}</div>
              <Button size="sm" variant="subtle" onClick={() => onTestKey(field, draft.keys[field])} data-testid={`test-${field}`}>
                {a('testKey')}
              </Button>
            </div>
          );
        })}
      </GlassPanel>

      {localError && (
        <p role="alert" className="text-xs text-rose-300">
          {localError}
        </p>
      )}
      {save.isError && <ErrorState error={save.error} compact />}
      <div className="flex items-center gap-3">
        <Button type="submit" variant="primary" loading={save.isPending} data-testid="settings-save">
          {a('saveSettings')}
        </Button>
        <span className="text-xs text-slate-400">{a('settingsHint')}</span>
      </div>
    </form>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/apiService';
import type { AdminSettings, AdminSettingsUpdate, AdminStats, AdminUserPatch, PackageInput, ProviderModelList, ProvidersUpdate } from '../../api/generated';
import {
  providersUpdateChat_providerAnyOf0Values,
  providersUpdateGemini_modeAnyOf0Values,
  providersUpdateImage_providerAnyOf0Values,
  providersUpdateVideo_providerAnyOf0Values,
} from '../../api/generated';
import type { TaskStatus, User } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { ConfirmDialog } from '../../components/ui/ConfirmDialog';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { Input, Textarea } from '../../components/ui/Input';
import { Select } from '../../components/ui/Select';
import { EmptyState, ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { meKey } from '../../hooks/useSession';
import { useI18n, type MessageKey } from '../../i18n';
import { formatPrice } from '../billing/money';
import { adminApi } from './adminApi';
import { useAdminText, type AdminTextKey } from './text';
import { GrantDialog } from './users/GrantDialog';

// Chart.js is loaded only when the dashboard is opened.
const StatsCharts = lazy(() => import('./stats/StatsCharts'));

type Tab = 'stats' | 'users' | 'tasks' | 'orders' | 'settings' | 'audit';
const TABS: Tab[] = ['stats', 'users', 'tasks', 'orders', 'settings', 'audit'];
const SHARED_LABEL: Partial<Record<Tab, MessageKey>> = {
  stats: 'admin.stats',
  users: 'admin.users',
  tasks: 'admin.tasks',
  settings: 'admin.settings',
};

export default function AdminPage() {
  const { t } = useI18n();
  const a = useAdminText();
  const [tab, setTab] = useState<Tab>('stats');
  return (
    <div>
      <PageHeader title={t('admin.title')} />
      <div role="tablist" aria-label={t('admin.title')} className="mb-4 flex flex-wrap gap-2">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`admin-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`admin-panel-${name}`}
            onClick={() => setTab(name)}
            data-testid={`admin-tab-${name}`}
            className={cx(
              'rounded-xl px-4 py-2 text-sm transition active:scale-95',
              tab === name ? 'bg-white/10 text-white shadow-glow' : 'text-slate-400 hover:bg-white/5 hover:text-white',
            )}
          >
            {SHARED_LABEL[name] ? t(SHARED_LABEL[name]) : a(name as AdminTextKey)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        {tab === 'stats' && <Stats />}
        {tab === 'users' && <Users />}
        {tab === 'tasks' && <Tasks />}
        {tab === 'orders' && <Orders />}
        {tab === 'settings' && <Settings />}
        {tab === 'audit' && <Audit />}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- stats

function Stats() {
  const a = useAdminText();
  const { lang } = useI18n();
  const stats = useQuery({ queryKey: ['admin', 'stats'], queryFn: adminApi.stats, refetchInterval: 30_000 });
  if (stats.isPending) return <LoadingState />;
  if (stats.isError) return <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />;
  const s: AdminStats = stats.data;
  const revenue = Object.entries(s.revenue_cents).map(([cur, cents]) => formatPrice(cents, cur, lang));
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="admin-stats">
      <Tile label={a('users')} testId="stat-users" value={s.users} />
      <Tile label={a('today')} testId="stat-today" value={s.generations_today} />
      <Tile label={a('revenue')} testId="stat-revenue" value={revenue.length ? revenue.join(' · ') : '—'} />
      <Tile label={a('disabledUsers')} value={s.disabled_users} />
      <Group label={a('tasksByStatus')} values={s.tasks_by_status} />
      <Group label={a('tasksByType')} values={s.tasks_by_type} />
      <Group label={a('ordersByStatus')} values={s.orders_by_status} />
      <div className="sm:col-span-2 lg:col-span-3">
        <Suspense fallback={<LoadingState />}>
          <StatsCharts stats={s} />
        </Suspense>
      </div>
    </div>
  );
}

function Tile({ label, value, testId }: { label: string; value: string | number; testId?: string }) {
  return (
    <GlassPanel className="p-4 sm:p-4">
      <h3 className="label">{label}</h3>
      <p className="font-mono text-3xl text-neon-cyan" data-testid={testId}>
        {value}
      </p>
    </GlassPanel>
  );
}

function Group({ label, values }: { label: string; values: Record<string, number> }) {
  return (
    <GlassPanel className="p-4 sm:p-4">
      <h3 className="label">{label}</h3>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        {Object.entries(values).map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-400">{k}</dt>
            <dd className="text-right font-mono text-neon-cyan">{v}</dd>
          </div>
        ))}
      </dl>
    </GlassPanel>
  );
}

// ---------------------------------------------------------------- users

function Users() {
  const { t } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const users = useQuery({ queryKey: ['admin', 'users', search, cursor], queryFn: () => adminApi.users({ q: search || undefined, cursor }) });
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Partial<AdminUserPatch> }) => adminApi.patchUser(id, body),
    onSuccess: () => {
      toast.show(t('admin.updated'), 'success');
      void qc.invalidateQueries({ queryKey: ['admin', 'users'] });
      void qc.invalidateQueries({ queryKey: ['admin', 'audit'] });
    },
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });

  // Every change goes through the app's own dialogs: an amount form for credits, a confirmation for role and access.
  const [granting, setGranting] = useState<User | null>(null);
  const [confirming, setConfirming] = useState<{ user: User; body: Partial<AdminUserPatch>; text: string } | null>(null);
  const grant = (user: User, delta: number, note: string) =>
    patch.mutate({ id: user.id, body: { credits_delta: delta, note } }, { onSettled: () => setGranting(null) });

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setCursor(null);
    setSearch(q.trim());
  };

  return (
    <GlassPanel>
      <form onSubmit={onSearch} className="mb-4 flex items-end gap-2">
        <Input label={t('admin.search')} value={q} onChange={(e) => setQ(e.target.value)} className="flex-1" maxLength={200} data-testid="admin-user-search" />
        <Button type="submit">{t('admin.search')}</Button>
      </form>
      {users.isPending ? (
        <LoadingState />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : (
        <div>
          {/* A table with headers on wide screens; each row becomes a card on a phone. */}
          <table className="w-full text-left text-sm" data-testid="admin-users">
            <thead className="hidden text-xs uppercase tracking-wider text-slate-400 md:table-header-group">
              <tr>
                <th scope="col" className="pb-2 pr-3 font-medium">{a('colUser')}</th>
                <th scope="col" className="pb-2 pr-3 font-medium">{a('colRole')}</th>
                <th scope="col" className="pb-2 pr-3 font-medium">{a('colCredits')}</th>
                <th scope="col" className="pb-2 pr-3 font-medium">{a('colState')}</th>
                <th scope="col" className="pb-2 text-right font-medium">{a('colActions')}</th>
              </tr>
            </thead>
            <tbody className="flex flex-col gap-3 md:table-row-group">
              {users.data.items.map((u) => (
                <tr
                  key={u.id}
                  className="grid grid-cols-[1fr_auto] gap-2 rounded-xl border border-white/10 bg-white/[0.03] p-3 md:table-row md:rounded-none md:border-0 md:border-t md:border-white/5 md:bg-transparent md:p-0"
                  data-testid="admin-user-row"
                  data-user-id={u.id}
                >
                  <td className="min-w-0 md:py-2 md:pr-3">
                    <span className="block truncate">{u.email}</span>
                    <span className="text-xs text-slate-400">{u.name}</span>
                  </td>
                  <td className="text-right md:py-2 md:pr-3 md:text-left">
                    <span className="chip">{t(`role.${u.role}` as MessageKey)}</span>
                  </td>
                  <td className="font-mono text-neon-cyan md:py-2 md:pr-3">
                    <span className="sr-only md:hidden">{a('colCredits')}: </span>
                    <span data-testid="admin-user-credits">{u.credits}</span>
                  </td>
                  <td className="text-right md:py-2 md:pr-3 md:text-left">
                    {u.disabled ? <span className="chip border-rose-400/40 text-rose-200">{a('stateDisabled')}</span> : <span className="text-xs text-slate-400">{a('stateActive')}</span>}
                  </td>
                  <td className="col-span-2 flex flex-wrap gap-1 md:justify-end md:py-2">
                    <Button size="sm" onClick={() => setGranting(u)} data-testid="admin-user-grant">
                      {t('admin.grant')}
                    </Button>
                    <Button
                      size="sm"
                      data-testid="admin-user-role"
                      onClick={() => {
                        const role = u.role === 'admin' ? 'user' : 'admin';
                        setConfirming({ user: u, body: { role }, text: a('confirmRole', { email: u.email, role: t(`role.${role}` as MessageKey) }) });
                      }}
                    >
                      {u.role === 'admin' ? t('admin.makeUser') : t('admin.makeAdmin')}
                    </Button>
                    <Button
                      size="sm"
                      variant={u.disabled ? 'ghost' : 'danger'}
                      onClick={() =>
                        setConfirming({ user: u, body: { disabled: !u.disabled }, text: a(u.disabled ? 'confirmEnable' : 'confirmDisable', { email: u.email }) })
                      }
                      data-testid="admin-user-disable"
                    >
                      {u.disabled ? t('admin.enable') : t('admin.disable')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager next={users.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
        </div>
      )}
      <GrantDialog user={granting} busy={patch.isPending} onClose={() => setGranting(null)} onGrant={grant} />
      <ConfirmDialog
        open={Boolean(confirming)}
        title={confirming ? confirming.user.email : ''}
        confirmLabel={t('common.confirm')}
        danger={Boolean(confirming?.body.disabled)}
        loading={patch.isPending}
        onClose={() => setConfirming(null)}
        onConfirm={() => confirming && patch.mutate({ id: confirming.user.id, body: confirming.body }, { onSettled: () => setConfirming(null) })}
        testId="admin-confirm"
      >
        {confirming?.text}
      </ConfirmDialog>
    </GlassPanel>
  );
}

function Pager({ next, onNext, onFirst }: { next: string | null; onNext: (c: string) => void; onFirst?: () => void }) {
  const a = useAdminText();
  if (!next && !onFirst) return null;
  return (
    <div className="mt-3 flex gap-2">
      {onFirst && (
        <Button size="sm" variant="subtle" onClick={onFirst}>
          ↑
        </Button>
      )}
      {next && (
        <Button size="sm" onClick={() => onNext(next)}>
          {a('loadMore')}
        </Button>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- tasks

const TASK_STATUSES: TaskStatus[] = ['PENDING', 'GENERATING', 'COMPLETED', 'FAILED'];

function Tasks() {
  const { t, formatDate } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const qc = useQueryClient();
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const tasks = useQuery({
    queryKey: ['admin', 'tasks', status, type, cursor],
    queryFn: () => adminApi.tasks({ status: status || undefined, type: type || undefined, cursor }),
    refetchInterval: 10_000,
  });
  const retry = useMutation({
    mutationFn: adminApi.retryTask,
    onSuccess: () => {
      toast.show(a('retried'), 'success');
      void qc.invalidateQueries({ queryKey: ['admin', 'tasks'] });
    },
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });
  return (
    <GlassPanel className="overflow-x-auto">
      <div className="mb-3 flex flex-wrap gap-2">
        <Select
          label={a('filter')}
          value={status}
          onChange={(e) => {
            setCursor(null);
            setStatus(e.target.value);
          }}
          options={[{ value: '', label: a('allStatuses') }, ...TASK_STATUSES.map((s) => ({ value: s, label: t(`task.status.${s}` as MessageKey) }))]}
          data-testid="admin-task-status"
        />
        <Select
          label={a('allTypes')}
          value={type}
          onChange={(e) => {
            setCursor(null);
            setType(e.target.value);
          }}
          options={[{ value: '', label: a('allTypes') }, { value: 'image', label: t('kind.image') }, { value: 'video', label: t('kind.video') }]}
        />
      </div>
      {tasks.isPending ? (
        <LoadingState />
      ) : tasks.isError ? (
        <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : tasks.data.items.length === 0 ? (
        <EmptyState>{a('empty')}</EmptyState>
      ) : (
        <>
          <table className="w-full text-left text-sm" data-testid="admin-tasks">
            <tbody>
              {tasks.data.items.map((task) => (
                <tr key={task.id} className="border-t border-white/5" data-testid="admin-task-row" data-status={task.status}>
                  <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(task.created_at)}</td>
                  <td className="py-2 pr-3 text-xs text-slate-400">{task.email ?? task.user_id}</td>
                  <td className="py-2 pr-3">{task.type}</td>
                  <td className="py-2 pr-3">
                    <span className="chip" title={task.error?.message ?? undefined}>
                      {t(`task.status.${task.status}` as MessageKey)}
                    </span>
                  </td>
                  <td className="max-w-xs truncate py-2 pr-3" title={task.prompt}>
                    {task.prompt}
                  </td>
                  <td className="py-2 text-right">
                    {task.status === 'FAILED' && (
                      <Button size="sm" onClick={() => retry.mutate(task.id)} loading={retry.isPending && retry.variables === task.id} data-testid="admin-task-retry">
                        {t('admin.retry')}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager next={tasks.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
        </>
      )}
    </GlassPanel>
  );
}

// ---------------------------------------------------------------- orders

const ORDER_STATUSES = ['PENDING', 'PAID', 'CANCELED', 'REFUNDED'] as const;

function Orders() {
  const { t, formatDate, lang } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const qc = useQueryClient();
  const [refunding, setRefunding] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const orders = useQuery({ queryKey: ['admin', 'orders', status, cursor], queryFn: () => adminApi.orders({ status: status || undefined, cursor }) });
  const refund = useMutation({
    mutationFn: adminApi.refundOrder,
    onSuccess: () => {
      toast.show(a('refunded'), 'success');
      void qc.invalidateQueries({ queryKey: ['admin'] });
    },
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });
  return (
    <GlassPanel className="overflow-x-auto">
      <Select
        label={a('filter')}
        className="mb-3 max-w-xs"
        value={status}
        onChange={(e) => {
          setCursor(null);
          setStatus(e.target.value);
        }}
        options={[{ value: '', label: a('allStatuses') }, ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`order.status.${s}` as MessageKey) }))]}
      />
      {orders.isPending ? (
        <LoadingState />
      ) : orders.isError ? (
        <ErrorState error={orders.error} onRetry={() => void orders.refetch()} />
      ) : orders.data.items.length === 0 ? (
        <EmptyState>{a('empty')}</EmptyState>
      ) : (
        <>
          <table className="w-full text-left text-sm" data-testid="admin-orders">
            <tbody>
              {orders.data.items.map((o) => (
                <tr key={o.id} className="border-t border-white/5" data-testid="admin-order-row" data-status={o.status}>
                  <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(o.created_at)}</td>
                  <td className="py-2 pr-3 text-xs text-slate-400">{o.email ?? o.user_id}</td>
                  <td className="py-2 pr-3">{o.package_id}</td>
                  <td className="py-2 pr-3 font-mono text-neon-cyan">{o.credits}</td>
                  <td className="py-2 pr-3 font-mono">{formatPrice(o.price_cents, o.currency, lang)}</td>
                  <td className="py-2 pr-3">
                    <span className="chip">{t(`order.status.${o.status}` as MessageKey)}</span> <span className="text-xs text-slate-400">{o.provider}</span>
                  </td>
                  <td className="py-2 text-right">
                    {o.status === 'PAID' && (
                      <Button
                        size="sm"
                        variant="danger"
                        onClick={() => setRefunding(o.id)}
                        loading={refund.isPending && refund.variables === o.id}
                        data-testid="admin-order-refund"
                      >
                        {a('refund')}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager next={orders.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
        </>
      )}
      <ConfirmDialog
        open={Boolean(refunding)}
        title={a('refund')}
        confirmLabel={a('refund')}
        danger
        loading={refund.isPending}
        onClose={() => setRefunding(null)}
        onConfirm={() => refunding && refund.mutate(refunding, { onSettled: () => setRefunding(null) })}
        testId="admin-refund-confirm"
      >
        {a('refundConfirm')}
      </ConfirmDialog>
    </GlassPanel>
  );
}

// ---------------------------------------------------------------- settings

type Kind = 'video' | 'image' | 'chat';
const KINDS: Kind[] = ['video', 'image', 'chat'];
const KEY_FIELDS = ['gemini_api_key', 'openai_api_key', 'stripe_secret_key', 'stripe_webhook_secret'] as const;
type KeyField = (typeof KEY_FIELDS)[number];
// From the backend's provider catalogue (common/providers/catalogue.py) via openapi.json.
const named = <T,>(values: ReadonlyArray<T | null>): T[] => values.filter((v): v is T => v !== null);
const PROVIDER_CHOICES = {
  image_provider: named(providersUpdateImage_providerAnyOf0Values),
  video_provider: named(providersUpdateVideo_providerAnyOf0Values),
  chat_provider: named(providersUpdateChat_providerAnyOf0Values),
  gemini_mode: named(providersUpdateGemini_modeAnyOf0Values),
} as const;
const TEXT_PROVIDER_FIELDS = [
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
const MODEL_SOURCES: Partial<Record<string, { vendor: 'gemini' | 'openai'; kind: 'image' | 'video' | 'chat' }>> = {
  image_model: { vendor: 'gemini', kind: 'image' },
  veo_model: { vendor: 'gemini', kind: 'video' },
  chat_model: { vendor: 'gemini', kind: 'chat' },
  sora_model: { vendor: 'openai', kind: 'video' },
};
const TESTABLE_KEYS: readonly string[] = ['gemini_api_key', 'openai_api_key'];
type ListedModel = ProviderModelList['items'][number];

interface Draft {
  quotas: Record<Kind, string>;
  costs: Record<Kind, string>;
  packages: { id: string; name: string; credits: string; price: string; currency: string }[];
  providers: AdminSettings['providers'];
  cors: string;
  keys: Record<KeyField, string>;
  timezone: string;
  watermarkOn: boolean;
  watermarkText: string;
}

// IANA names for the quota time zone's search box (the server validates against the tz database).
const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Asia/Shanghai'];
  }
})();

function toDraft(s: AdminSettings): Draft {
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
  };
}

const isCount = (v: string) => /^\d{1,5}$/.test(v.trim()) && Number(v) <= 10_000;

/** The PUT body: only valid whole numbers; keys only when typed (empty = keep). */
function toUpdate(d: Draft): AdminSettingsUpdate | { error: string } {
  for (const group of [d.quotas, d.costs]) for (const k of KINDS) if (!isCount(group[k])) return { error: k };
  const count = (g: Record<Kind, string>) => ({ video: Number(g.video), image: Number(g.image), chat: Number(g.chat) });
  const packages: PackageInput[] = d.packages.map((p) => ({
    id: p.id.trim(),
    name: p.name.trim(),
    credits: Number(p.credits),
    price_cents: Math.round(Number(p.price) * 100),
    currency: p.currency.trim().toLowerCase(),
  }));
  const keys: Partial<Record<KeyField, string>> = {};
  for (const k of KEY_FIELDS) if (d.keys[k].trim()) keys[k] = d.keys[k].trim();
  return {
    pricing: { quotas: count(d.quotas), costs: count(d.costs), quota_timezone: d.timezone.trim() || 'UTC' },
    watermark: { enabled: d.watermarkOn, text: d.watermarkText.trim() },
    packages,
    providers: { ...d.providers } as ProvidersUpdate, // the selects only offer the allowed values
    cors_origins: d.cors
      .split(/\s+/)
      .map((o) => o.trim())
      .filter(Boolean),
    api_keys: keys,
  };
}

function Settings() {
  const { t } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ['admin', 'settings'], queryFn: adminApi.settings });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const [models, setModels] = useState<Record<'gemini' | 'openai', ListedModel[]>>({ gemini: [], openai: [] });
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the form draft restarts from each server copy
    if (settings.data) setDraft(toDraft(settings.data));
  }, [settings.data]);
  const loadModels = async () => {
    const lists = await Promise.allSettled([adminApi.models('gemini'), adminApi.models('openai')]);
    const [gemini, openai] = lists.map((l) => (l.status === 'fulfilled' ? l.value.items : []));
    setModels({ gemini, openai });
    toast.show(a('modelsLoaded', { n: gemini.length + openai.length }), 'success');
  };
  const testKey = async (field: string, value: string) => {
    try {
      const result = await adminApi.testKey(field, value.trim() || undefined);
      toast.show(result.message, result.ok ? 'success' : 'error');
    } catch (error) {
      toast.show(errorMessage(error), 'error');
    }
  };
  const save = useMutation({
    mutationFn: adminApi.putSettings,
    onSuccess: (data) => {
      toast.show(t('admin.saved'), 'success');
      qc.setQueryData(['admin', 'settings'], data);
      void qc.invalidateQueries({ queryKey: ['billing', 'packages'] });
      void qc.invalidateQueries({ queryKey: meKey }); // the header's quota may have changed
    },
  });

  if (settings.isPending || !draft) return settings.isError ? <ErrorState error={settings.error} onRetry={() => void settings.refetch()} /> : <LoadingState />;
  const keyStates = settings.data?.api_keys;

  const set = (fn: (d: Draft) => void) => {
    const next = structuredClone(draft);
    fn(next);
    setDraft(next);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const update = toUpdate(draft);
    if ('error' in update) {
      setLocalError(`${update.error}: ${a('integerError')}`);
      return;
    }
    setLocalError(null);
    save.mutate(update);
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
        <Button size="sm" className="self-start" onClick={() => void loadModels()} data-testid="settings-load-models">
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
              <Button size="sm" variant="subtle" onClick={() => void testKey(field, draft.keys[field])} data-testid={`test-${field}`}>
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

// ---------------------------------------------------------------- audit

function Audit() {
  const { formatDate } = useI18n();
  const a = useAdminText();
  const [cursor, setCursor] = useState<string | null>(null);
  const audit = useQuery({ queryKey: ['admin', 'audit', cursor], queryFn: () => adminApi.audit(cursor) });
  if (audit.isPending) return <LoadingState />;
  if (audit.isError) return <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />;
  if (audit.data.items.length === 0) return <EmptyState>{a('empty')}</EmptyState>;
  return (
    <GlassPanel className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="admin-audit">
        <thead className="text-xs text-slate-400">
          <tr>
            <th className="py-1 pr-3">{a('when')}</th>
            <th className="py-1 pr-3">{a('who')}</th>
            <th className="py-1 pr-3">{a('what')}</th>
            <th className="py-1">{a('change')}</th>
          </tr>
        </thead>
        <tbody>
          {audit.data.items.map((e) => (
            <tr key={e.id} className="border-t border-white/5 align-top">
              <td className="py-2 pr-3 text-xs text-slate-400">{formatDate(e.created_at)}</td>
              <td className="py-2 pr-3 text-xs">{e.actor_email ?? e.actor_id}</td>
              <td className="py-2 pr-3">
                <span className="chip">{e.action}</span> <span className="text-xs text-slate-400">{e.target_id}</span>
              </td>
              <td className="py-2 font-mono text-xs text-slate-300">
                {Object.keys(e.after).map((k) => (
                  <div key={k}>
                    {k}: {JSON.stringify(e.before[k] ?? null)} → {JSON.stringify(e.after[k])}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager next={audit.data.next_cursor} onNext={setCursor} onFirst={cursor ? () => setCursor(null) : undefined} />
    </GlassPanel>
  );
}

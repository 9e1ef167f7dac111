import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../../api/apiService';
import type { AdminUserPatch, TaskStatus, User } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { Input } from '../../components/ui/Input';
import { ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { useI18n, type MessageKey } from '../../i18n';

type Tab = 'stats' | 'users' | 'tasks' | 'settings';
const TABS: Tab[] = ['stats', 'users', 'tasks', 'settings'];

export default function AdminPage() {
  const { t } = useI18n();
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
            {t(`admin.${name}` as MessageKey)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        {tab === 'stats' && <Stats />}
        {tab === 'users' && <Users />}
        {tab === 'tasks' && <Tasks />}
        {tab === 'settings' && <Settings />}
      </div>
    </div>
  );
}

/** Stats' shape is not pinned by API.md: numbers become tiles, nested objects become groups of tiles. */
function Stats() {
  const stats = useQuery({ queryKey: ['admin', 'stats'], queryFn: api.adminStats, refetchInterval: 30_000 });
  if (stats.isPending) return <LoadingState />;
  if (stats.isError) return <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />;
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="admin-stats">
      {Object.entries(stats.data).map(([key, value]) => (
        <GlassPanel key={key} className="p-4 sm:p-4">
          <h3 className="label">{key.replace(/_/g, ' ')}</h3>
          <StatValue value={value} />
        </GlassPanel>
      ))}
    </div>
  );
}

function StatValue({ value }: { value: unknown }) {
  if (value && typeof value === 'object' && !Array.isArray(value))
    return (
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-400">{k}</dt>
            <dd className="text-right font-mono text-neon-cyan">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
          </div>
        ))}
      </dl>
    );
  return <p className="font-mono text-3xl text-neon-cyan">{String(value)}</p>;
}

function Users() {
  const { t } = useI18n();
  const toast = useToast();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const users = useQuery({ queryKey: ['admin', 'users', search], queryFn: () => api.adminUsers({ q: search || undefined }) });
  const patch = useMutation({
    mutationFn: ({ id, body }: { id: string; body: AdminUserPatch }) => api.adminPatchUser(id, body),
    onSuccess: () => {
      toast.show(t('admin.updated'), 'success');
      void qc.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });

  const grant = (user: User) => {
    const raw = window.prompt(t('admin.grantPrompt'), '100');
    const delta = raw === null ? NaN : Number(raw);
    if (Number.isInteger(delta) && delta !== 0) patch.mutate({ id: user.id, body: { credits_delta: delta, note: 'admin panel' } });
  };

  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setSearch(q.trim());
  };

  return (
    <GlassPanel>
      <form onSubmit={onSearch} className="mb-4 flex items-end gap-2">
        <Input label={t('admin.search')} value={q} onChange={(e) => setQ(e.target.value)} className="flex-1" data-testid="admin-user-search" />
        <Button type="submit">{t('admin.search')}</Button>
      </form>
      {users.isPending ? (
        <LoadingState />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="admin-users">
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id} className="border-t border-white/5" data-testid="admin-user-row">
                  <td className="py-2 pr-3">
                    <span className="block">{u.email}</span>
                    <span className="text-xs text-slate-500">{u.name}</span>
                  </td>
                  <td className="py-2 pr-3">
                    <span className="chip">{u.role}</span>
                  </td>
                  <td className="py-2 pr-3 font-mono text-neon-cyan">{u.credits}</td>
                  <td className="py-2 pr-3">{u.disabled && <span className="chip border-rose-400/40 text-rose-200">disabled</span>}</td>
                  <td className="flex flex-wrap justify-end gap-1 py-2">
                    <Button size="sm" onClick={() => grant(u)}>
                      {t('admin.grant')}
                    </Button>
                    <Button size="sm" onClick={() => patch.mutate({ id: u.id, body: { role: u.role === 'admin' ? 'user' : 'admin' } })}>
                      {u.role === 'admin' ? t('admin.makeUser') : t('admin.makeAdmin')}
                    </Button>
                    <Button size="sm" variant={u.disabled ? 'ghost' : 'danger'} onClick={() => patch.mutate({ id: u.id, body: { disabled: !u.disabled } })}>
                      {u.disabled ? t('admin.enable') : t('admin.disable')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </GlassPanel>
  );
}

function Tasks() {
  const { t, formatDate } = useI18n();
  const toast = useToast();
  const qc = useQueryClient();
  const tasks = useQuery({ queryKey: ['admin', 'tasks'], queryFn: () => api.adminTasks({}), refetchInterval: 10_000 });
  const retry = useMutation({
    mutationFn: api.adminRetryTask,
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['admin', 'tasks'] }),
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });
  if (tasks.isPending) return <LoadingState />;
  if (tasks.isError) return <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />;
  return (
    <GlassPanel className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="admin-tasks">
        <tbody>
          {tasks.data.items.map((task) => (
            <tr key={task.id} className="border-t border-white/5">
              <td className="py-2 pr-3 text-xs text-slate-500">{formatDate(task.created_at)}</td>
              <td className="py-2 pr-3">{task.type}</td>
              <td className="py-2 pr-3">
                <span className="chip">{t(`task.status.${task.status as TaskStatus}` as MessageKey)}</span>
              </td>
              <td className="max-w-xs truncate py-2 pr-3" title={task.prompt}>
                {task.prompt}
              </td>
              <td className="py-2 text-right">
                {task.status === 'FAILED' && (
                  <Button size="sm" onClick={() => retry.mutate(task.id)} loading={retry.isPending && retry.variables === task.id}>
                    {t('admin.retry')}
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </GlassPanel>
  );
}

/** Settings as JSON: the server validates; API keys read back as {set, last4} and are written by value. */
function Settings() {
  const { t } = useI18n();
  const toast = useToast();
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ['admin', 'settings'], queryFn: api.adminSettings });
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    if (settings.data) setText(JSON.stringify(settings.data, null, 2));
  }, [settings.data]);
  const save = useMutation({
    mutationFn: api.adminPutSettings,
    onSuccess: (data) => {
      toast.show(t('admin.saved'), 'success');
      qc.setQueryData(['admin', 'settings'], data);
    },
  });

  if (settings.isPending) return <LoadingState />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />;

  const onSave = () => {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      setInvalid(false);
      save.mutate(parsed as Record<string, unknown>);
    } catch {
      setInvalid(true);
    }
  };

  return (
    <GlassPanel className="flex flex-col gap-3">
      <label htmlFor="admin-settings" className="label">
        {t('admin.settings')}
      </label>
      <textarea
        id="admin-settings"
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
        rows={20}
        className="field font-mono text-xs"
        aria-invalid={invalid || undefined}
        data-testid="admin-settings"
      />
      {invalid && (
        <p role="alert" className="text-xs text-rose-300">
          {t('admin.invalidJson')}
        </p>
      )}
      {save.isError && <ErrorState error={save.error} compact />}
      <Button variant="primary" onClick={onSave} loading={save.isPending} className="self-start">
        {t('admin.save')}
      </Button>
    </GlassPanel>
  );
}

import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../../api/apiService';
import type { AdminUserPatch } from '../../../api/generated';
import type { User } from '../../../api/types';
import { Button } from '../../../components/ui/Button';
import { ConfirmDialog } from '../../../components/ui/ConfirmDialog';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { Input } from '../../../components/ui/Input';
import { ErrorState, LoadingState } from '../../../components/ui/States';
import { useToast } from '../../../components/ui/Toast';
import { useI18n, type MessageKey } from '../../../i18n';
import { Pager } from '../Pager';
import { useAdminText } from '../text';
import { useAdminUsers, usePatchUser, type UserPatchVars } from './api';
import { GrantDialog } from './GrantDialog';

/** Users: search, grant credits, switch role, disable or enable; every change confirmed in a dialog. */
export function UsersTab() {
  const { t } = useI18n();
  const a = useAdminText();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const users = useAdminUsers(search, cursor);
  const patch = usePatchUser();
  const change = (vars: UserPatchVars, done: () => void) =>
    patch.mutate(vars, {
      onSuccess: () => toast.show(t('admin.updated'), 'success'),
      onError: (e) => toast.show(errorMessage(e), 'error'),
      onSettled: done,
    });

  // Every change goes through the app's own dialogs: an amount form for credits, a confirmation for role and access.
  const [granting, setGranting] = useState<User | null>(null);
  const [confirming, setConfirming] = useState<{ user: User; body: Partial<AdminUserPatch>; text: string } | null>(null);
  const grant = (user: User, delta: number, note: string) =>
    change({ id: user.id, body: { credits_delta: delta, note } }, () => setGranting(null));

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
        onConfirm={() => confirming && change({ id: confirming.user.id, body: confirming.body }, () => setConfirming(null))}
        testId="admin-confirm"
      >
        {confirming?.text}
      </ConfirmDialog>
    </GlassPanel>
  );
}

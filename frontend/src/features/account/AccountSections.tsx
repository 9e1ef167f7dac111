// Account page sections for issue 12: password change, developer API tokens, usage history.
import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { useNavigate } from 'react-router-dom';
import { z } from 'zod';
import { tokenStore } from '../../api/apiService';
import type { ApiTokenCreated } from '../../api/generated';
import { textField } from '../../api/schemas';
import { zChangePasswordRequest, zCreateApiTokenRequest } from '../../api/zod.gen';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { Input } from '../../components/ui/Input';
import { ErrorState, LoadingState } from '../../components/ui/States';
import { useToast } from '../../components/ui/Toast';
import { useI18n } from '../../i18n';
import { useFeatureText, type FeatureTextKey } from '../featureText';
import { useApiTokens, useChangePassword, useCreateApiToken, useRevokeApiToken, useUsage } from './api';

// The generated request schemas, text counted in code points as the API counts it.
const passwordSchema = z.object({
  current_password: textField(zChangePasswordRequest.shape.current_password, { trim: false }),
  new_password: textField(zChangePasswordRequest.shape.new_password, { trim: false }),
});
const tokenSchema = z.object({ name: textField(zCreateApiTokenRequest.shape.name) });

export function PasswordPanel({ email }: { email: string }) {
  const f = useFeatureText();
  const toast = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  // onChange: the button is enabled once both passwords are acceptable.
  const form = useForm<z.infer<typeof passwordSchema>>({
    resolver: zodResolver(passwordSchema),
    defaultValues: { current_password: '', new_password: '' },
    mode: 'onChange',
  });
  const change = useChangePassword();
  const submit = form.handleSubmit((body) =>
    change.mutate(body, {
      onSuccess: () => {
        // Every older session token (this one too) stopped working: sign in again with the new password.
        toast.show(f('passwordChanged'), 'success');
        tokenStore.clear();
        qc.clear();
        navigate(`/login?email=${encodeURIComponent(email)}`, { replace: true });
      },
    }),
  );
  return (
    <GlassPanel data-testid="password-panel">
      <h2 className="label">{f('security')}</h2>
      <form className="flex flex-col gap-3" onSubmit={submit} noValidate>
        <Input label={f('currentPassword')} type="password" autoComplete="current-password"
          data-testid="current-password" {...form.register('current_password')} />
        <Input label={f('newPassword')} type="password" autoComplete="new-password"
          data-testid="new-password" {...form.register('new_password')} />
        {change.isError && <ErrorState error={change.error} compact />}
        <Button type="submit" loading={change.isPending} disabled={!form.formState.isValid} data-testid="change-password">
          {f('changePassword')}
        </Button>
      </form>
    </GlassPanel>
  );
}

export function ApiTokensPanel() {
  const f = useFeatureText();
  const { formatDate } = useI18n();
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [copied, setCopied] = useState(false);
  const form = useForm<z.infer<typeof tokenSchema>>({ resolver: zodResolver(tokenSchema), defaultValues: { name: '' }, mode: 'onChange' });
  const tokens = useApiTokens();
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  const submit = form.handleSubmit(({ name }) =>
    create.mutate(name, {
      onSuccess: (t) => {
        setCreated(t);
        setCopied(false);
        form.reset();
      },
    }),
  );
  return (
    <GlassPanel data-testid="tokens-panel">
      <h2 className="label">{f('tokens')}</h2>
      <p className="mb-3 text-xs text-slate-400">{f('tokensHint')}</p>
      <form className="flex items-end gap-2" onSubmit={submit}>
        <Input className="flex-1" label={f('tokenName')} data-testid="token-name" {...form.register('name')} />
        <Button type="submit" loading={create.isPending} disabled={!form.formState.isValid} data-testid="create-token">
          {f('createToken')}
        </Button>
      </form>
      {create.isError && <ErrorState error={create.error} compact />}
      {created && (
        <div className="mt-3 rounded-xl border border-neon-cyan/40 bg-neon-cyan/10 p-3 text-sm" role="status">
          <p className="mb-1 text-neon-cyan">{f('tokenShownOnce')}</p>
          <div className="flex items-center gap-2">
            <code className="flex-1 break-all font-mono text-xs" data-testid="new-token">{created.token}</code>
            <Button size="sm" onClick={() => void navigator.clipboard?.writeText(created.token).then(() => setCopied(true))}>
              {copied ? f('copied') : f('copy')}
            </Button>
          </div>
        </div>
      )}
      {tokens.isPending ? (
        <LoadingState />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} compact />
      ) : tokens.data.items.length === 0 ? (
        <p className="mt-3 text-sm text-slate-400">{f('noTokens')}</p>
      ) : (
        <ul className="mt-3 flex flex-col gap-2" data-testid="token-list">
          {tokens.data.items.map((t) => (
            <li key={t.id} className="flex items-center gap-3 text-sm" data-testid="token-row">
              <span className="flex-1">
                {t.name} <span className="font-mono text-xs text-slate-400">sora_…{t.last4}</span>
                <span className="block text-[11px] text-slate-400">
                  {t.last_used_at ? f('lastUsed', { date: formatDate(t.last_used_at) }) : f('neverUsed')}
                </span>
              </span>
              <Button size="sm" variant="danger" loading={revoke.isPending && revoke.variables === t.id}
                onClick={() => revoke.mutate(t.id)}>
                {f('revoke')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </GlassPanel>
  );
}

export function UsagePanel() {
  const f = useFeatureText();
  const { formatDate } = useI18n();
  const usage = useUsage();
  const items = usage.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <GlassPanel className="lg:col-span-2" data-testid="usage-panel">
      <h2 className="label">{f('usage')}</h2>
      {usage.isPending ? (
        <LoadingState />
      ) : usage.isError ? (
        <ErrorState error={usage.error} compact />
      ) : items.length === 0 ? (
        <p className="text-sm text-slate-400">{f('noUsage')}</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <tbody>
              {items.map((e, i) => (
                <tr key={`${e.at}-${i}`} className="border-t border-white/5" data-testid="usage-row" data-kind={e.kind}>
                  <td className="py-2 pr-4 text-slate-400">{formatDate(e.at)}</td>
                  <td className="py-2 pr-4"><span className="chip">{f(`kind_${e.kind}` as FeatureTextKey)}</span></td>
                  <td className={'py-2 pr-4 font-mono ' + (e.amount < 0 ? 'text-rose-300' : 'text-neon-cyan')}>
                    {e.amount > 0 ? `+${e.amount}` : e.amount}
                  </td>
                  <td className="py-2 pr-4 text-slate-300">{e.reason}</td>
                  <td className="py-2 font-mono text-[11px] text-slate-400">{e.task_id ?? e.order_id ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {usage.hasNextPage && (
            <Button size="sm" className="mt-2" loading={usage.isFetchingNextPage} onClick={() => void usage.fetchNextPage()}>
              {f('loadMore')}
            </Button>
          )}
        </div>
      )}
    </GlassPanel>
  );
}

// "Forgot password" (mail a link) and "reset password" (the link's page: choose a new one).
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useI18n } from '../../i18n';
import { accountApi } from '../account/accountApi';
import { useFeatureText } from '../featureText';
import { AuthLayout } from './AuthLayout';

export function ForgotPasswordPage() {
  const { t } = useI18n();
  const f = useFeatureText();
  const [email, setEmail] = useState('');
  const send = useMutation({ mutationFn: accountApi.requestReset });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (email.trim()) send.mutate(email.trim());
  };
  return (
    <AuthLayout title={f('forgotTitle')} subtitle={f('forgotSubtitle')}>
      <form noValidate onSubmit={submit} className="flex flex-col gap-4" data-testid="forgot-form">
        <Input label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        {send.isSuccess && <p role="status" className="text-sm text-neon-cyan" data-testid="reset-sent">{f('linkSent')}</p>}
        {send.isError && <ErrorState error={send.error} compact />}
        <Button type="submit" variant="primary" loading={send.isPending} disabled={!email.trim()}>{f('sendLink')}</Button>
        <Link to="/login" className="text-center text-sm text-slate-400 hover:text-neon-cyan">{f('toLogin')}</Link>
      </form>
    </AuthLayout>
  );
}

export function ResetPasswordPage() {
  const f = useFeatureText();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const reset = useMutation({ mutationFn: accountApi.confirmReset });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    reset.mutate({ token, new_password: password });
  };
  return (
    <AuthLayout title={f('resetTitle')} subtitle="">
      {reset.isSuccess ? (
        <div className="flex flex-col gap-4">
          <p role="status" className="text-sm text-neon-cyan" data-testid="reset-done">{f('resetDone')}</p>
          <Link to="/login" className="text-center text-sm text-slate-400 hover:text-neon-cyan">{f('toLogin')}</Link>
        </div>
      ) : (
        <form noValidate onSubmit={submit} className="flex flex-col gap-4" data-testid="reset-form">
          <Input label={f('newPassword')} type="password" autoComplete="new-password" value={password}
            onChange={(e) => setPassword(e.target.value)} />
          {reset.isError && <ErrorState error={reset.error} compact />}
          <Button type="submit" variant="primary" loading={reset.isPending} disabled={password.length < 8 || !token}>
            {f('setPassword')}
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}

// "Forgot password" (mail a link) and "reset password" (the link's page: choose a new one).
import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { Link, useSearchParams } from 'react-router-dom';
import { Button } from '../../components/ui/Button';
import { Input } from '../../components/ui/Input';
import { ErrorState } from '../../components/ui/States';
import { useI18n } from '../../i18n';
import { useFeatureText } from '../featureText';
import { useConfirmPasswordReset, useRequestPasswordReset } from './api';
import { AuthLayout } from './AuthLayout';
import { forgotSchema, resetSchema, type ForgotForm, type ResetForm } from './validation';

export function ForgotPasswordPage() {
  const { t } = useI18n();
  const f = useFeatureText();
  // onChange: the button is enabled once the address is valid.
  const form = useForm<ForgotForm>({ resolver: zodResolver(forgotSchema), defaultValues: { email: '' }, mode: 'onChange' });
  const send = useRequestPasswordReset();
  const submit = form.handleSubmit(({ email }) => send.mutate(email));
  return (
    <AuthLayout title={f('forgotTitle')} subtitle={f('forgotSubtitle')}>
      <form noValidate onSubmit={submit} className="flex flex-col gap-4" data-testid="forgot-form">
        <Input label={t('auth.email')} type="email" autoComplete="email" {...form.register('email')} />
        {send.isSuccess && <p role="status" className="text-sm text-neon-cyan" data-testid="reset-sent">{f('linkSent')}</p>}
        {send.isError && <ErrorState error={send.error} compact />}
        <Button type="submit" variant="primary" loading={send.isPending} disabled={!form.formState.isValid}>{f('sendLink')}</Button>
        <Link to="/login" className="text-center text-sm text-slate-400 hover:text-neon-cyan">{f('toLogin')}</Link>
      </form>
    </AuthLayout>
  );
}

export function ResetPasswordPage() {
  const f = useFeatureText();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const form = useForm<ResetForm>({ resolver: zodResolver(resetSchema), defaultValues: { new_password: '' }, mode: 'onChange' });
  const reset = useConfirmPasswordReset();
  const submit = form.handleSubmit(({ new_password }) => reset.mutate({ token, new_password }));
  return (
    <AuthLayout title={f('resetTitle')} subtitle="">
      {reset.isSuccess ? (
        <div className="flex flex-col gap-4">
          <p role="status" className="text-sm text-neon-cyan" data-testid="reset-done">{f('resetDone')}</p>
          <Link to="/login" className="text-center text-sm text-slate-400 hover:text-neon-cyan">{f('toLogin')}</Link>
        </div>
      ) : (
        <form noValidate onSubmit={submit} className="flex flex-col gap-4" data-testid="reset-form">
          <Input label={f('newPassword')} type="password" autoComplete="new-password" {...form.register('new_password')} />
          {reset.isError && <ErrorState error={reset.error} compact />}
          <Button type="submit" variant="primary" loading={reset.isPending} disabled={!form.formState.isValid || !token}>
            {f('setPassword')}
          </Button>
        </form>
      )}
    </AuthLayout>
  );
}

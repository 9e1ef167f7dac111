import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import type { User } from '../../../api/types';
import { Button } from '../../../components/ui/Button';
import { Input } from '../../../components/ui/Input';
import { Modal } from '../../../components/ui/Modal';
import { useI18n } from '../../../i18n';
import { useAdminText } from '../text';

// API.md PATCH /api/admin/users/{id}: credits_delta a non-zero integer; the note goes to the audit log.
const schema = z.object({
  delta: z.coerce
    .number()
    .int()
    .refine((n) => n !== 0 && Math.abs(n) <= 1_000_000),
  note: z.string().trim().max(500),
});
type GrantForm = z.infer<typeof schema>;

interface Props {
  user: User | null;
  busy: boolean;
  onClose: () => void;
  onGrant: (user: User, delta: number, note: string) => void;
}

/** "Grant credits" as the app's own dialog (not window.prompt): amount and audit note, validated with zod. */
export function GrantDialog({ user, busy, onClose, onGrant }: Props) {
  const { t } = useI18n();
  const a = useAdminText();
  const form = useForm<GrantForm>({ resolver: zodResolver(schema), defaultValues: { delta: 100, note: '' } });
  useEffect(() => {
    if (user) form.reset({ delta: 100, note: '' });
  }, [user, form]);
  const submit = form.handleSubmit((v) => user && onGrant(user, v.delta, v.note || 'admin panel'));
  return (
    <Modal open={Boolean(user)} onClose={onClose} title={`${t('admin.grant')}: ${user?.email ?? ''}`} closeLabel={t('common.cancel')} className="max-w-md" testId="admin-grant-dialog">
      <form onSubmit={submit} noValidate className="flex flex-col gap-4 p-5">
        <Input
          label={t('admin.grantPrompt')}
          type="number"
          inputMode="numeric"
          step={1}
          error={form.formState.errors.delta ? a('grantInvalid') : undefined}
          data-testid="admin-grant-amount"
          {...form.register('delta')}
        />
        <Input label={a('notePrompt')} maxLength={500} data-testid="admin-grant-note" {...form.register('note')} />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="submit" variant="primary" loading={busy} data-testid="admin-grant-submit">
            {t('admin.grant')}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

import { zodResolver } from '@hookform/resolvers/zod';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { textField, textLimits } from '../../../api/schemas';
import type { User } from '../../../api/types';
import { zAdminUserPatch } from '../../../api/zod.gen';
import { Button } from '../../../components/ui/Button';
import { Input } from '../../../components/ui/Input';
import { Modal } from '../../../components/ui/Modal';
import { useI18n } from '../../../i18n';
import { useAdminText } from '../text';

// PATCH /api/admin/users/{id} (AdminUserPatch from openapi.json): credits_delta an integer in the
// API's range, and not 0 (a grant of nothing); the note goes to the audit log.
const creditsDelta = zAdminUserPatch.shape.credits_delta.removeDefault().unwrap().unwrap();
const schema = z.object({
  delta: z.coerce.number().pipe(creditsDelta.refine((n) => n !== 0)),
  note: textField(zAdminUserPatch.shape.note),
});
type GrantValues = z.infer<typeof schema>;

interface Props {
  user: User | null;
  busy: boolean;
  onClose: () => void;
  onGrant: (user: User, delta: number, note: string) => void;
}

/** "Grant credits" as the app's own dialog (not window.prompt): amount and audit note, validated with zod. */
export function GrantDialog({ user, busy, onClose, onGrant }: Props) {
  const { t } = useI18n();
  return (
    <Modal open={Boolean(user)} onClose={onClose} title={`${t('admin.grant')}: ${user?.email ?? ''}`} closeLabel={t('common.cancel')} className="max-w-md" testId="admin-grant-dialog">
      {/* A fresh form per user opened (key): its defaults are there from the first render, so nothing typed
          early is overwritten by a reset that runs after opening. */}
      {user && <GrantForm key={user.id} user={user} busy={busy} onClose={onClose} onGrant={onGrant} />}
    </Modal>
  );
}

function GrantForm({ user, busy, onClose, onGrant }: Props & { user: User }) {
  const { t } = useI18n();
  const a = useAdminText();
  const form = useForm<GrantValues>({ resolver: zodResolver(schema), defaultValues: { delta: 100, note: '' } });
  const submit = form.handleSubmit((v) => onGrant(user, v.delta, v.note || 'admin panel'));
  return (
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
      <Input label={a('notePrompt')} maxLength={textLimits(zAdminUserPatch.shape.note).max ?? undefined} data-testid="admin-grant-note" {...form.register('note')} />
      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>{t('common.cancel')}</Button>
        <Button type="submit" variant="primary" loading={busy} data-testid="admin-grant-submit">
          {t('admin.grant')}
        </Button>
      </div>
    </form>
  );
}

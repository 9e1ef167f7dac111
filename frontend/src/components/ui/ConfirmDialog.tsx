import type { ReactNode } from 'react';
import { useI18n } from '../../i18n';
import { Button } from './Button';
import { Modal } from './Modal';

interface Props {
  open: boolean;
  title: string;
  /** What will happen, in one or two sentences. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  danger?: boolean;
  loading?: boolean;
  testId?: string;
}

/** The app's own "are you sure?" dialog (never `window.confirm`): Escape or Cancel closes, the action is explicit. */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onClose, danger, loading, testId = 'confirm-dialog' }: Props) {
  const { t } = useI18n();
  return (
    <Modal open={open} onClose={onClose} title={title} closeLabel={t('common.cancel')} className="max-w-md" testId={testId}>
      <div className="flex flex-col gap-4 p-5">
        <div className="text-sm text-slate-300">{children}</div>
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button variant={danger ? 'danger' : 'primary'} onClick={onConfirm} loading={loading} data-testid="confirm-button">
            {confirmLabel}
          </Button>
        </div>
      </div>
    </Modal>
  );
}

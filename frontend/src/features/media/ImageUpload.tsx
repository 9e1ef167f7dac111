import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState, type ChangeEvent } from 'react';
import { api, errorMessage } from '../../api/apiService';
import type { UploadResult } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { Spinner } from '../../components/ui/Spinner';
import { cx } from '../../components/ui/cx';
import { useI18n } from '../../i18n';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const ACCEPT = ['image/png', 'image/jpeg', 'image/webp'];

/** Client-side pre-check; the server checks the bytes again (API.md: by content). */
export function checkUpload(file: Pick<File, 'type' | 'size'>): 'upload.err.type' | 'upload.err.size' | null {
  if (!ACCEPT.includes(file.type)) return 'upload.err.type';
  if (file.size > MAX_UPLOAD_BYTES) return 'upload.err.size';
  return null;
}

interface Props {
  onUploaded: (result: UploadResult) => void;
  disabled?: boolean;
  testId?: string;
}

/** A styled file picker that uploads to POST /api/ai/uploads and reports the proxy URL. */
export function ImageUpload({ onUploaded, disabled, testId = 'upload-input' }: Props) {
  const { t } = useI18n();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const upload = useMutation({ mutationFn: api.upload, onSuccess: onUploaded });

  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    const problem = checkUpload(file);
    setLocalError(problem ? t(problem) : null);
    if (!problem) upload.mutate(file);
  };

  const error = localError ?? (upload.isError ? errorMessage(upload.error) : null);
  const busy = upload.isPending;
  return (
    <div>
      <input
        ref={input}
        id={inputId}
        type="file"
        accept={ACCEPT.join(',')}
        className="peer sr-only"
        onChange={onChange}
        disabled={disabled || busy}
        data-testid={testId}
      />
      <label
        htmlFor={inputId}
        className={cx(
          'inline-flex h-10 cursor-pointer items-center gap-2 rounded-xl border border-dashed border-white/20 bg-white/5 px-4 text-sm text-slate-300 transition',
          'hover:border-neon-cyan/60 hover:text-white peer-focus-visible:outline peer-focus-visible:outline-2 peer-focus-visible:outline-neon-cyan active:scale-[0.98]',
          (disabled || busy) && 'pointer-events-none opacity-50',
        )}
      >
        {busy ? <Spinner /> : <Icon name="upload" className="h-4 w-4" />}
        {busy ? t('upload.uploading') : t('upload.choose')}
      </label>
      {error && (
        <p role="alert" className="mt-2 text-xs text-rose-300" data-testid="upload-error">
          {error}
        </p>
      )}
    </div>
  );
}

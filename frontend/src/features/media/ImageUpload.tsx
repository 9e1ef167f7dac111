import { useCallback, useEffect, useId, useState, type ChangeEvent, type DragEvent, type ReactNode } from 'react';
import { errorMessage } from '../../api/apiService';
import type { UploadResult } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { Spinner } from '../../components/ui/Spinner';
import { cx } from '../../components/ui/cx';
import { useLatest } from '../../hooks/useLatest';
import { useI18n } from '../../i18n';
import { useUploadImage } from './api';

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const ACCEPT = ['image/png', 'image/jpeg', 'image/webp'];

/** Client-side pre-check; the server checks the bytes again (API.md: by content). */
export function checkUpload(file: Pick<File, 'type' | 'size'>): 'upload.err.type' | 'upload.err.size' | null {
  if (!ACCEPT.includes(file.type)) return 'upload.err.type';
  if (file.size > MAX_UPLOAD_BYTES) return 'upload.err.size';
  return null;
}

/** The first file of a drop or a paste, if any. */
export function fileOf(data: DataTransfer | null): File | null {
  if (!data) return null;
  if (data.files?.length) return data.files[0];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind === 'file') return item.getAsFile();
  }
  return null;
}

/** Uploads one image to POST /api/ai/uploads after the local pre-check; `error` is ready to show. */
export function useImageUpload(onUploaded: (result: UploadResult) => void) {
  const { t } = useI18n();
  const [localError, setLocalError] = useState<string | null>(null);
  const upload = useUploadImage(onUploaded);
  const put = useCallback(
    (file: File) => {
      const problem = checkUpload(file);
      setLocalError(problem ? t(problem) : null);
      if (!problem) upload.mutate(file);
    },
    [t, upload],
  );
  return { put, busy: upload.isPending, error: localError ?? (upload.isError ? errorMessage(upload.error) : null) };
}

/** While mounted and enabled, an image pasted anywhere on the page (not text) is handed to `onFile`. */
export function usePasteImage(onFile: (file: File) => void, enabled = true) {
  const handler = useLatest(onFile);
  useEffect(() => {
    if (!enabled) return;
    const onPaste = (e: ClipboardEvent) => {
      const file = fileOf(e.clipboardData);
      if (!file) return;
      e.preventDefault();
      handler.current(file);
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, [enabled, handler]);
}

/** Drag-and-drop handlers for any element: `over` is true while a file hovers it. */
export function useDropFile(onFile: (file: File) => void, enabled = true) {
  const [over, setOver] = useState(false);
  const props = {
    onDragOver: (e: DragEvent) => {
      if (!enabled || !Array.from(e.dataTransfer.types).includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      setOver(true);
    },
    onDragLeave: (e: DragEvent) => {
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
    },
    onDrop: (e: DragEvent) => {
      if (!enabled) return;
      const file = fileOf(e.dataTransfer);
      setOver(false);
      if (!file) return;
      e.preventDefault();
      onFile(file);
    },
  };
  return { over, props };
}

interface Props {
  onUploaded: (result: UploadResult) => void;
  disabled?: boolean;
  testId?: string;
  /** 'button' (label and icon), 'icon' (a round icon button for composers), 'zone' (a drop zone that also takes paste). */
  variant?: 'button' | 'icon' | 'zone';
  children?: ReactNode;
}

/** A styled file picker that uploads to POST /api/ai/uploads and reports the proxy URL. */
export function ImageUpload({ onUploaded, disabled, testId = 'upload-input', variant = 'button', children }: Props) {
  const { t } = useI18n();
  const inputId = useId();
  const { put, busy, error } = useImageUpload(onUploaded);
  const drop = useDropFile(put, variant === 'zone' && !disabled && !busy);
  usePasteImage(put, variant === 'zone' && !disabled && !busy);

  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) put(file);
  };

  const input = (
    <input
      id={inputId}
      type="file"
      accept={ACCEPT.join(',')}
      className="peer sr-only"
      onChange={onChange}
      disabled={disabled || busy}
      data-testid={testId}
    />
  );
  const errorLine = error && (
    <p role="alert" className="mt-2 text-xs text-rose-300" data-testid="upload-error">
      {error}
    </p>
  );

  if (variant === 'icon')
    return (
      <div className="relative">
        {input}
        <label
          htmlFor={inputId}
          title={t('upload.choose')}
          className={cx(
            'grid h-10 w-10 cursor-pointer place-items-center rounded-full text-slate-300 transition hover:bg-white/10 hover:text-neon-cyan',
            'peer-focus-visible:outline peer-focus-visible:outline-2 peer-focus-visible:outline-neon-cyan',
            (disabled || busy) && 'pointer-events-none opacity-50',
          )}
        >
          {busy ? <Spinner /> : <Icon name="clip" className="h-5 w-5" />}
          <span className="sr-only">{t('upload.choose')}</span>
        </label>
        {error && (
          <p role="alert" className="absolute bottom-12 left-0 w-60 rounded-lg bg-ink-900/95 p-2 text-xs text-rose-300 ring-1 ring-rose-400/30" data-testid="upload-error">
            {error}
          </p>
        )}
      </div>
    );

  const button = (
    <label
      htmlFor={inputId}
      className={cx(
        'inline-flex h-10 cursor-pointer items-center gap-2 rounded-xl border border-dashed border-white/20 bg-white/5 px-4 text-sm text-slate-200 transition',
        'hover:border-neon-cyan/60 hover:text-white peer-focus-visible:outline peer-focus-visible:outline-2 peer-focus-visible:outline-neon-cyan active:scale-[0.98]',
        (disabled || busy) && 'pointer-events-none opacity-50',
      )}
    >
      {busy ? <Spinner /> : <Icon name="upload" className="h-4 w-4" />}
      {busy ? t('upload.uploading') : t('upload.choose')}
    </label>
  );

  if (variant === 'zone')
    return (
      <div
        {...drop.props}
        data-testid="upload-dropzone"
        data-over={drop.over || undefined}
        className={cx(
          'flex flex-wrap items-center gap-3 rounded-2xl border border-dashed p-3 transition',
          drop.over ? 'border-neon-cyan bg-neon-cyan/10 shadow-glow' : 'border-white/15 bg-white/[0.02]',
        )}
      >
        {children}
        {input}
        {button}
        <span className="text-xs text-slate-400">{t('upload.dropHint')}</span>
        {errorLine}
      </div>
    );

  return (
    <div>
      {input}
      {button}
      {errorLine}
    </div>
  );
}

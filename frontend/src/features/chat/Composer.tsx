import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useRef, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { z } from 'zod';
import { textField, textLimits } from '../../api/schemas';
import type { UploadResult } from '../../api/types';
import { zChatRequest } from '../../api/zod.gen';
import { Icon } from '../../components/layout/icons';
import { cx } from '../../components/ui/cx';
import { useI18n } from '../../i18n';
import { ImageUpload, useDropFile, useImageUpload } from '../media/ImageUpload';
import { MediaImage } from '../../components/media/MediaImage';
import { MAX_ATTACHMENTS } from './useChat';

// ChatRequest.message from the generated schema, counted in code points as the API counts it.
const composerSchema = z.object({ message: textField(zChatRequest.shape.message) });
const MAX_MESSAGE = textLimits(zChatRequest.shape.message).max;

interface Props {
  busy: boolean;
  /** Text given back by the page (a refused message, or the last message to edit); `seq` makes each hand-back distinct. */
  returned: { text: string; seq: number } | null;
  onSend: (text: string, attachments: string[]) => void;
  onStop: () => void;
}

/** The fixed composer: a full-width, growing text box with icon buttons; images by picker, drop or paste. */
export function Composer({ busy, returned, onSend, onStop }: Props) {
  const { t } = useI18n();
  const form = useForm<z.infer<typeof composerSchema>>({ resolver: zodResolver(composerSchema), defaultValues: { message: '' } });
  const draft = useWatch({ control: form.control, name: 'message' });
  const tooLong = form.formState.errors.message?.type === 'too_big';
  const [attachments, setAttachments] = useState<UploadResult[]>([]);
  const box = useRef<HTMLTextAreaElement | null>(null);

  const add = (r: UploadResult) => setAttachments((xs) => (xs.length < MAX_ATTACHMENTS && !xs.some((x) => x.url === r.url) ? [...xs, r] : xs));
  const upload = useImageUpload(add);
  const canAttach = attachments.length < MAX_ATTACHMENTS && !busy;
  const drop = useDropFile(upload.put, canAttach);

  // A returned text (a refused message, or the last one to edit) replaces the draft once per hand-back.
  const { setValue } = form;
  useEffect(() => {
    if (!returned) return;
    setValue('message', returned.text, { shouldValidate: false });
    box.current?.focus();
  }, [returned, setValue]);

  // Grow with the text up to a third of the screen, then scroll inside.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, Math.round(window.innerHeight / 3))}px`;
  }, [draft]);

  const submit = form.handleSubmit(({ message }) => {
    if (busy) return;
    onSend(
      message,
      attachments.map((a) => a.url),
    );
    form.reset({ message: '' });
    setAttachments([]);
  });
  const { ref: registerBox, ...messageField } = form.register('message');

  return (
    <form
      onSubmit={submit}
      {...drop.props}
      className={cx('shrink-0 border-t border-white/10 bg-ink-950/40 p-2 sm:p-3', drop.over && 'bg-neon-cyan/10')}
      data-testid="chat-form"
    >
      {attachments.length > 0 && (
        <div className="mb-2 flex flex-wrap gap-2 px-1" data-testid="chat-attachments">
          {attachments.map((a, i) => (
            <div key={a.url} className="relative h-14 w-14 overflow-hidden rounded-lg border border-white/15">
              <MediaImage src={a.url} alt={`${i + 1}`} className="h-full w-full object-cover" />
              <button
                type="button"
                onClick={() => setAttachments((xs) => xs.filter((x) => x.url !== a.url))}
                aria-label={`${t('upload.remove')} ${i + 1}`}
                className="absolute right-0.5 top-0.5 grid h-5 w-5 place-items-center rounded-full bg-ink-950/80 text-xs text-slate-200 hover:bg-rose-500/80"
              >
                ×
              </button>
            </div>
          ))}
        </div>
      )}
      {tooLong && (
        <p role="alert" className="mb-2 px-2 text-xs text-rose-300" data-testid="chat-error">
          {t('chat.err.long', { max: MAX_MESSAGE ?? '' })}
        </p>
      )}
      {upload.error && (
        <p role="alert" className="mb-2 px-2 text-xs text-rose-300" data-testid="upload-error">
          {upload.error}
        </p>
      )}
      {/* The text box spans the whole row; the attach and send buttons sit inside its edges. */}
      <div className="relative">
        <label htmlFor="chat-input" className="sr-only">
          {t('chat.placeholder')}
        </label>
        <textarea
          id="chat-input"
          ref={(el) => {
            registerBox(el);
            box.current = el;
          }}
          {...messageField}
          onPaste={(e) => {
            const file = Array.from(e.clipboardData.files)[0];
            if (file && canAttach) {
              e.preventDefault();
              upload.put(file);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
          rows={1}
          placeholder={t('chat.placeholder')}
          className="block max-h-[33vh] min-h-[3.25rem] w-full resize-none rounded-2xl border border-white/10 bg-ink-950/70 py-3.5 pl-12 pr-14 text-[15px] leading-6 text-slate-100 transition placeholder:text-slate-400 focus:border-neon-cyan/60 focus:shadow-glow focus:outline-none"
          data-testid="chat-input"
        />
        <div className="absolute bottom-1.5 left-1.5">
          {canAttach && <ImageUpload variant="icon" testId="chat-upload-input" disabled={busy} onUploaded={add} />}
        </div>
        <div className="absolute bottom-1.5 right-1.5">
          {busy ? (
            <button
              type="button"
              onClick={onStop}
              aria-label={t('chat.stop')}
              title={t('chat.stop')}
              className="grid h-10 w-10 shrink-0 place-items-center rounded-full border border-neon-magenta/50 bg-neon-magenta/15 text-neon-magenta transition hover:bg-neon-magenta/25"
              data-testid="chat-stop"
            >
              <Icon name="stop" className="h-4 w-4" />
            </button>
          ) : (
            <button
              type="submit"
              disabled={!draft.trim()}
              aria-label={t('chat.send')}
              title={t('chat.send')}
              className="grid h-10 w-10 shrink-0 place-items-center rounded-full bg-gradient-to-br from-neon-cyan to-neon-magenta text-ink-950 shadow-glow transition hover:brightness-110 active:scale-95 disabled:opacity-40 disabled:shadow-none"
              data-testid="chat-send"
            >
              <Icon name="send" className="h-5 w-5" />
            </button>
          )}
        </div>
      </div>
      <p className="mt-1.5 hidden px-2 text-[11px] text-slate-400 sm:block">{t('chat.hint')}</p>
    </form>
  );
}

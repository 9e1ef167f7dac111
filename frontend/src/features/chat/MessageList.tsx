import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ChatMessage } from '../../api/types';
import { Icon, type IconName } from '../../components/layout/icons';
import { ErrorState, LoadingState } from '../../components/ui/States';
import { cx } from '../../components/ui/cx';
import { useI18n } from '../../i18n';
import { MediaImage } from '../../components/media/MediaImage';
import { Markdown } from './Markdown';
import { STREAMING_ID } from './useChat';

// Within this many pixels of the bottom the list follows new text; further up, the reader is left alone.
const STICK_PX = 80;

interface Props {
  messages: ChatMessage[];
  loading: boolean;
  loadError: unknown;
  busy: boolean;
  streaming: boolean;
  error: unknown;
  onRegenerate: () => void;
  onEditLast: () => void;
}

function ActionButton({ icon, label, onClick, testId }: { icon: IconName; label: string; onClick: () => void; testId: string }) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label={label}
      title={label}
      data-testid={testId}
      className="grid h-7 w-7 place-items-center rounded-md text-slate-400 transition hover:bg-white/10 hover:text-neon-cyan"
    >
      <Icon name={icon} className="h-4 w-4" />
    </button>
  );
}

/** The scrolling history. Follows the newest text while the reader is at the bottom; shows a jump button otherwise. */
export function MessageList({ messages, loading, loadError, busy, streaming, error, onRegenerate, onEditLast }: Props) {
  const { t } = useI18n();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [away, setAway] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    stick.current = atBottom;
    setAway(!atBottom);
  }, []);

  const toBottom = useCallback((smooth: boolean) => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTo?.({ top: el.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
    stick.current = true;
    setAway(false);
  }, []);

  const lastText = messages[messages.length - 1]?.text;
  useLayoutEffect(() => {
    if (stick.current) toBottom(false);
  }, [messages.length, lastText, busy, toBottom]);

  // A message the user sends always brings the view down to it.
  const lastRole = messages[messages.length - 1]?.role;
  useEffect(() => {
    if (lastRole === 'user') toBottom(false);
  }, [lastRole, messages.length, toBottom]);

  const copy = (m: ChatMessage) => {
    void navigator.clipboard?.writeText(m.text).then(() => {
      setCopied(m.id);
      window.setTimeout(() => setCopied(null), 1500);
    });
  };

  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant');
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');

  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={scroller}
        onScroll={onScroll}
        className="h-full space-y-4 overflow-y-auto overscroll-contain px-3 py-4 sm:px-5"
        aria-live="polite"
        aria-busy={busy}
        data-testid="chat-messages"
      >
        {loading ? (
          <LoadingState />
        ) : loadError ? (
          <ErrorState error={loadError} compact />
        ) : messages.length === 0 ? (
          <div className="flex h-full flex-col items-center justify-center gap-3 py-10 text-center" data-testid="chat-empty">
            <span aria-hidden="true" className="grid h-12 w-12 place-items-center rounded-2xl bg-gradient-to-br from-neon-cyan/25 to-neon-magenta/25 text-neon-cyan ring-1 ring-white/10">
              <Icon name="chat" className="h-6 w-6" />
            </span>
            <p className="max-w-xs text-sm text-slate-300">{t('chat.empty')}</p>
          </div>
        ) : (
          messages.map((m) => {
            const mine = m.role === 'user';
            const isStreaming = m.id === STREAMING_ID;
            const local = m.id.startsWith('local-');
            return (
              <div key={m.id} className={cx('group flex animate-fade-up flex-col', mine ? 'items-end' : 'items-start')} data-testid="chat-message" data-role={m.role} data-streaming={isStreaming} data-partial={m.partial} data-local={local}>
                <div
                  className={cx(
                    'max-w-[92%] rounded-2xl px-4 py-2.5 text-sm leading-relaxed sm:max-w-[80%]',
                    mine
                      ? 'whitespace-pre-wrap rounded-br-md bg-gradient-to-br from-neon-cyan/20 to-neon-violet/20 text-slate-50 ring-1 ring-neon-cyan/30'
                      : 'rounded-bl-md bg-white/[0.06] text-slate-100 ring-1 ring-white/10 backdrop-blur',
                  )}
                >
                  <span className="sr-only">{mine ? t('chat.you') : t('chat.assistant')}: </span>
                  {m.attachments.length > 0 && (
                    <span className="mb-2 flex flex-wrap gap-2">
                      {m.attachments.map((url, i) => (
                        <MediaImage key={url} src={url} alt={`${i + 1}`} className="h-20 w-20 rounded-lg object-cover ring-1 ring-white/15" data-testid="chat-attachment" />
                      ))}
                    </span>
                  )}
                  {mine ? m.text : <Markdown text={m.text} />}
                  {(m.partial || isStreaming) && (
                    <span aria-hidden="true" className={cx('ml-0.5 inline-block h-4 w-1.5 translate-y-0.5 rounded-sm bg-neon-cyan/80', isStreaming && 'animate-pulse')} />
                  )}
                  {m.partial && !isStreaming && <span className="mt-1 block text-[11px] text-amber-200">{t('chat.partial')}</span>}
                </div>
                {!local && !busy && (
                  <div className="mt-1 flex gap-0.5 opacity-100 transition sm:opacity-0 sm:focus-within:opacity-100 sm:group-hover:opacity-100">
                    {!mine && <ActionButton icon={copied === m.id ? 'check' : 'copy'} label={t('chat.copy')} onClick={() => copy(m)} testId="chat-copy" />}
                    {!mine && m.id === lastAssistant?.id && <ActionButton icon="refresh" label={t('chat.regenerate')} onClick={onRegenerate} testId="chat-regenerate" />}
                    {mine && m.id === lastUser?.id && <ActionButton icon="edit" label={t('chat.edit')} onClick={onEditLast} testId="chat-edit" />}
                  </div>
                )}
              </div>
            );
          })
        )}
        {busy && !streaming && (
          <div className="flex items-center gap-1.5 px-2 py-1" role="status" aria-label={t('chat.thinking')} data-testid="chat-thinking">
            {[0, 1, 2].map((i) => (
              <span key={i} className="h-2 w-2 animate-bounce rounded-full bg-neon-cyan/80" style={{ animationDelay: `${i * 120}ms` }} />
            ))}
          </div>
        )}
        {error != null && (
          <div className="px-1">
            <ErrorState error={error} compact />
          </div>
        )}
      </div>
      {away && messages.length > 0 && (
        <button
          type="button"
          onClick={() => toBottom(true)}
          className="glass-strong absolute bottom-3 left-1/2 inline-flex -translate-x-1/2 items-center gap-1.5 rounded-full px-3 py-1.5 text-xs text-slate-100 shadow-glow"
          data-testid="chat-jump"
        >
          <Icon name="down" className="h-3.5 w-3.5" />
          {t('chat.jump')}
        </button>
      )}
    </div>
  );
}

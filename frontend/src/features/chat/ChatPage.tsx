import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '../../api/apiService';
import type { ChatConversation, ChatMessage, ChatRequest, UploadResult } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { Spinner } from '../../components/ui/Spinner';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { meKey } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { ImageUpload } from '../media/ImageUpload';
import { MediaImage } from '../media/MediaImage';
import { conversationOf, streamChat } from './chatStream';

const chatsKey = ['chats'] as const;
const MAX_ATTACHMENTS = 4; // API.md: at most 4 proxy URLs per message

// `partial` says a stored reply was cut short (the connection dropped mid-stream).
type Message = ChatMessage;

function localMessage(role: 'user' | 'assistant', text: string, attachments: string[] = []): Message {
  return { id: `local-${role}-${Date.now()}`, role, text, attachments, partial: false, created_at: new Date().toISOString() };
}

export default function ChatPage() {
  const { t, formatDate } = useI18n();
  const qc = useQueryClient();
  const toast = useToast();
  const [activeId, setActiveId] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [attachments, setAttachments] = useState<UploadResult[]>([]);
  // The message being sent and the reply streaming in, shown until the stored copy is loaded.
  const [pending, setPending] = useState<ChatMessage[]>([]);
  const [streamText, setStreamText] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => () => abort.current?.abort(), []);

  const chats = useQuery({ queryKey: chatsKey, queryFn: () => api.listChats() });
  const conversation = useQuery<ChatConversation>({
    queryKey: [...chatsKey, activeId],
    queryFn: () => api.getChat(activeId!),
    enabled: Boolean(activeId),
  });

  // Load the stored conversation (the message, the reply or what was kept of it) before
  // dropping the local copies, so nothing flickers away.
  const settle = async (conversationId: string) => {
    await qc.fetchQuery({ queryKey: [...chatsKey, conversationId], queryFn: () => api.getChat(conversationId), staleTime: 0 });
    setActiveId(conversationId);
    setPending([]);
    setStreamText(null);
    void qc.invalidateQueries({ queryKey: chatsKey, exact: true });
    void qc.invalidateQueries({ queryKey: meKey });
  };

  const send = useMutation({
    mutationFn: (body: ChatRequest) => {
      abort.current?.abort();
      abort.current = new AbortController();
      setStreamText('');
      return streamChat(body, { onDelta: (text) => setStreamText((s) => (s ?? '') + text), signal: abort.current.signal });
    },
    onSuccess: (done) => settle(done.conversation_id).catch(() => undefined),
    onError: (error, body) => {
      if (error instanceof DOMException && error.name === 'AbortError') return undefined; // the user moved on
      // The message was stored (the model failed, or the connection dropped in a known conversation):
      // show what the server kept. Otherwise it was refused before storing: give the text back.
      const stored = conversationOf(error) ?? (error instanceof ApiError && error.code === 'network' ? body.conversation_id : null);
      if (stored) return settle(stored).catch(() => undefined);
      setPending([]);
      setStreamText(null);
      setDraft((d) => d || body.message);
      void qc.invalidateQueries({ queryKey: chatsKey, exact: true });
      return undefined;
    },
  });

  const del = useMutation({
    mutationFn: api.deleteChat,
    onSuccess: () => {
      setActiveId(null);
      setPending([]);
      void qc.invalidateQueries({ queryKey: chatsKey });
    },
    onError: (e) => toast.show(errorMessage(e), 'error'),
  });

  const messages: Message[] = [
    ...(conversation.data?.messages ?? []),
    ...pending,
    ...(streamText ? [{ ...localMessage('assistant', streamText), id: 'local-streaming' }] : []),
  ];
  useEffect(() => {
    scroller.current?.scrollTo?.({ top: scroller.current.scrollHeight, behavior: 'smooth' });
  }, [messages.length, streamText]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text || send.isPending) return;
    const urls = attachments.map((a) => a.url);
    setPending([localMessage('user', text, urls)]);
    setDraft('');
    setAttachments([]);
    send.mutate({ message: text, ...(urls.length ? { attachments: urls } : {}), ...(activeId ? { conversation_id: activeId } : {}) });
  };

  const newChat = () => {
    abort.current?.abort();
    setActiveId(null);
    setPending([]);
    setStreamText(null);
    send.reset();
  };

  return (
    <div>
      <PageHeader
        title={t('chat.title')}
        subtitle={t('chat.subtitle')}
        actions={
          <Button onClick={newChat} data-testid="chat-new">
            {t('chat.new')}
          </Button>
        }
      />
      <div className="grid gap-4 md:grid-cols-[16rem_minmax(0,1fr)]">
        <GlassPanel as="aside" aria-label={t('chat.conversations')} className="max-h-[70vh] overflow-y-auto p-3 sm:p-3">
          <h2 className="label px-2">{t('chat.conversations')}</h2>
          {chats.isPending ? (
            <LoadingState />
          ) : chats.isError ? (
            <ErrorState error={chats.error} compact />
          ) : chats.data.items.length === 0 ? (
            <p className="px-2 text-sm text-slate-500">{t('chat.noConversations')}</p>
          ) : (
            <ul className="flex flex-col gap-1" data-testid="chat-list">
              {chats.data.items.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    onClick={() => {
                      if (send.isPending) return;
                      setActiveId(c.id);
                      setPending([]);
                      send.reset();
                    }}
                    aria-current={c.id === activeId || undefined}
                    className={cx(
                      'w-full rounded-lg px-3 py-2 text-left text-sm transition',
                      c.id === activeId ? 'bg-white/10 text-white' : 'text-slate-400 hover:bg-white/5 hover:text-white',
                    )}
                  >
                    <span className="block truncate">{c.title || '…'}</span>
                    <span className="block text-[11px] text-slate-500">{formatDate(c.updated_at)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </GlassPanel>

        <GlassPanel className="flex min-h-[60vh] flex-col p-0 sm:p-0">
          <div ref={scroller} className="flex-1 space-y-3 overflow-y-auto p-4" aria-live="polite" data-testid="chat-messages">
            {activeId && conversation.isPending ? (
              <LoadingState />
            ) : conversation.isError ? (
              <ErrorState error={conversation.error} compact />
            ) : messages.length === 0 ? (
              <p className="py-16 text-center text-sm text-slate-500">{t('chat.empty')}</p>
            ) : (
              messages.map((m) => (
                <div key={m.id} className={cx('flex', m.role === 'user' ? 'justify-end' : 'justify-start')} data-testid="chat-message" data-role={m.role}>
                  <div
                    className={cx(
                      'max-w-[85%] whitespace-pre-wrap rounded-2xl px-4 py-2.5 text-sm leading-relaxed',
                      m.role === 'user' ? 'bg-neon-cyan/15 text-slate-100 ring-1 ring-neon-cyan/30' : 'bg-white/5 text-slate-200 ring-1 ring-white/10',
                    )}
                  >
                    <span className="sr-only">{m.role === 'user' ? t('chat.you') : t('chat.assistant')}: </span>
                    {m.attachments.length > 0 && (
                      <span className="mb-2 flex flex-wrap gap-2">
                        {m.attachments.map((url, i) => (
                          <MediaImage key={url} src={url} alt={`${i + 1}`} className="h-20 w-20 rounded-lg object-cover ring-1 ring-white/15" data-testid="chat-attachment" />
                        ))}
                      </span>
                    )}
                    {m.text}
                    {(m.partial || m.id === 'local-streaming') && <span aria-hidden="true"> …</span>}
                  </div>
                </div>
              ))
            )}
            {send.isPending && !streamText && <Spinner label="…" />}
            {send.isError && <ErrorState error={send.error} compact />}
          </div>
          {attachments.length > 0 && (
            <div className="flex flex-wrap gap-2 border-t border-white/10 px-3 pt-3" data-testid="chat-attachments">
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
          <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-2 border-t border-white/10 p-3" data-testid="chat-form">
            <label htmlFor="chat-input" className="sr-only">
              {t('chat.placeholder')}
            </label>
            <textarea
              id="chat-input"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
              rows={2}
              placeholder={t('chat.placeholder')}
              className="field min-h-0 flex-1 resize-none"
              data-testid="chat-input"
            />
            {attachments.length < MAX_ATTACHMENTS && (
              <ImageUpload
                testId="chat-upload-input"
                disabled={send.isPending}
                onUploaded={(r) => setAttachments((xs) => (xs.length < MAX_ATTACHMENTS && !xs.some((x) => x.url === r.url) ? [...xs, r] : xs))}
              />
            )}
            <Button type="submit" variant="primary" disabled={!draft.trim()} loading={send.isPending} data-testid="chat-send">
              {t('chat.send')}
            </Button>
            {activeId && (
              <Button variant="danger" onClick={() => del.mutate(activeId)} loading={del.isPending} aria-label={t('chat.delete')}>
                ×
              </Button>
            )}
          </form>
        </GlassPanel>
      </div>
    </div>
  );
}

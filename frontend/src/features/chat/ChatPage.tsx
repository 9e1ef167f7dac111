import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../../api/apiService';
import type { ChatConversation, ChatMessage, ChatResponse } from '../../api/types';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { Spinner } from '../../components/ui/Spinner';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { meKey } from '../../hooks/useSession';
import { useI18n } from '../../i18n';

const chatsKey = ['chats'] as const;

function replyText(res: ChatResponse): ChatMessage {
  const m = res.message;
  if (typeof m === 'string') return { id: `reply-${Date.now()}`, role: 'assistant', text: m, attachments: [], created_at: new Date().toISOString() };
  return m;
}

export default function ChatPage() {
  const { t, formatDate } = useI18n();
  const qc = useQueryClient();
  const toast = useToast();
  const [activeId, setActiveId] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  // Messages sent in this view before the conversation is refetched.
  const [pending, setPending] = useState<ChatMessage[]>([]);
  const scroller = useRef<HTMLDivElement>(null);

  const chats = useQuery({ queryKey: chatsKey, queryFn: () => api.listChats() });
  const conversation = useQuery<ChatConversation>({
    queryKey: [...chatsKey, activeId],
    queryFn: () => api.getChat(activeId!),
    enabled: Boolean(activeId),
  });

  const send = useMutation({
    mutationFn: api.chat,
    onSuccess: (res) => {
      setPending((xs) => [...xs, replyText(res)]);
      if (res.conversation_id !== activeId) setActiveId(res.conversation_id);
      void qc.invalidateQueries({ queryKey: chatsKey });
      void qc.invalidateQueries({ queryKey: meKey });
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

  // Once the server copy has caught up, drop the local echoes.
  useEffect(() => {
    if (conversation.data && !send.isPending) setPending([]);
  }, [conversation.data, send.isPending]);

  const messages = [...(conversation.data?.messages ?? []), ...pending];
  useEffect(() => {
    scroller.current?.scrollTo({ top: scroller.current.scrollHeight, behavior: 'smooth' });
  }, [messages.length]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text || send.isPending) return;
    setPending((xs) => [...xs, { id: `local-${Date.now()}`, role: 'user', text, attachments: [], created_at: new Date().toISOString() }]);
    setDraft('');
    send.mutate({ message: text, ...(activeId ? { conversation_id: activeId } : {}) });
  };

  const newChat = () => {
    setActiveId(null);
    setPending([]);
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
                      setActiveId(c.id);
                      setPending([]);
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
                    {m.text}
                  </div>
                </div>
              ))
            )}
            {send.isPending && <Spinner label="…" />}
            {send.isError && <ErrorState error={send.error} compact />}
          </div>
          <form onSubmit={onSubmit} className="flex items-end gap-2 border-t border-white/10 p-3" data-testid="chat-form">
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

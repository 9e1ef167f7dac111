import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { errorMessage } from '../../api/apiService';
import type { ChatSummary } from '../../api/types';
import { Icon } from '../../components/layout/icons';
import { ConfirmDialog } from '../../components/ui/ConfirmDialog';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { useToast } from '../../components/ui/Toast';
import { cx } from '../../components/ui/cx';
import { useI18n } from '../../i18n';
import { deleteConversation, forgetConversation, useConversations } from './api';
import { Composer } from './Composer';
import { ConversationList } from './ConversationList';
import { MessageList } from './MessageList';
import { useChat } from './useChat';

const UNDO_MS = 6000;
// Deletions wait out the undo window here, outside the page, so leaving the page does not cancel them.
const pendingDeletes = new Map<string, number>();

export default function ChatPage() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const { id } = useParams();
  const activeId = id ?? null;
  // The conversation drawer (phones) belongs to the conversation it was opened on: picking one closes it.
  const [drawerOn, setDrawerOn] = useState<{ id: string | null } | null>(null);
  const drawer = drawerOn !== null && drawerOn.id === activeId;
  const setDrawer = (open: boolean) => setDrawerOn(open ? { id: activeId } : null);
  const [toDelete, setToDelete] = useState<ChatSummary | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set(pendingDeletes.keys()));

  const openConversation = useCallback((cid: string) => navigate(`/chat/${encodeURIComponent(cid)}`, { replace: !activeId }), [navigate, activeId]);
  const chat = useChat(activeId, openConversation);
  const chats = useConversations();
  const items = chats.data?.items.filter((c) => !hidden.has(c.id));

  const open = (cid: string) => {
    if (cid === activeId) return setDrawer(false);
    chat.reset();
    navigate(`/chat/${encodeURIComponent(cid)}`);
  };
  const newChat = () => {
    chat.reset();
    setDrawer(false);
    navigate('/chat');
  };

  const confirmDelete = () => {
    const target = toDelete;
    setToDelete(null);
    if (!target) return;
    setHidden((s) => new Set(s).add(target.id));
    if (target.id === activeId) newChat();
    const timer = window.setTimeout(() => {
      pendingDeletes.delete(target.id);
      deleteConversation(target.id)
        .catch((e: unknown) => toast.show(errorMessage(e), 'error'))
        .finally(() => forgetConversation(qc, target.id));
    }, UNDO_MS);
    pendingDeletes.set(target.id, timer);
    toast.show(t('chat.deleted'), 'info', {
      durationMs: UNDO_MS,
      testId: 'chat-deleted-toast',
      action: {
        label: t('common.undo'),
        onClick: () => {
          window.clearTimeout(pendingDeletes.get(target.id));
          pendingDeletes.delete(target.id);
          setHidden((s) => {
            const next = new Set(s);
            next.delete(target.id);
            return next;
          });
        },
      },
    });
  };

  const list = (
    <ConversationList
      items={items}
      loading={chats.isPending}
      error={chats.isError ? chats.error : null}
      activeId={activeId}
      onOpen={open}
      onNew={newChat}
      onDelete={setToDelete}
    />
  );
  const title = chats.data?.items.find((c) => c.id === activeId)?.title;

  return (
    <div className="flex h-[calc(100dvh-5.5rem)] min-h-[22rem] gap-4 sm:h-[calc(100dvh-6.5rem)]" data-testid="chat-page">
      <GlassPanel as="aside" aria-label={t('chat.conversations')} padded={false} className="hidden w-72 shrink-0 flex-col p-3 md:flex">
        {list}
      </GlassPanel>

      {drawer && (
        <div className="fixed inset-0 z-30 md:hidden" role="dialog" aria-modal="true" aria-label={t('chat.conversations')} data-testid="chat-drawer">
          <div aria-hidden="true" className="absolute inset-0 bg-ink-950/70 backdrop-blur-sm" onClick={() => setDrawer(false)} />
          <div className="glass-strong absolute inset-y-0 left-0 flex w-[85%] max-w-xs animate-fade-up flex-col rounded-none p-3">{list}</div>
        </div>
      )}

      <GlassPanel padded={false} className="flex min-w-0 flex-1 flex-col overflow-hidden">
        <div className="flex h-12 shrink-0 items-center gap-2 border-b border-white/10 px-3 sm:px-4">
          <button
            type="button"
            onClick={() => setDrawer(true)}
            aria-label={t('chat.conversations')}
            className="grid h-9 w-9 place-items-center rounded-lg text-slate-300 hover:bg-white/10 md:hidden"
            data-testid="chat-history"
          >
            <Icon name="history" className="h-5 w-5" />
          </button>
          <h1 className="min-w-0 flex-1 truncate text-sm font-medium text-slate-100">
            <span className="sr-only">{t('chat.title')}: </span>
            {title ?? t('chat.newTitle')}
          </h1>
          <button
            type="button"
            onClick={newChat}
            aria-label={t('chat.new')}
            title={t('chat.new')}
            className={cx('grid h-9 w-9 place-items-center rounded-lg text-slate-300 hover:bg-white/10 hover:text-neon-cyan md:hidden')}
            data-testid="chat-new-mobile"
          >
            <Icon name="plus" className="h-5 w-5" />
          </button>
        </div>
        <MessageList
          messages={chat.messages}
          loading={chat.loading}
          loadError={chat.loadError}
          busy={chat.busy}
          streaming={Boolean(chat.streamText)}
          error={chat.error}
          onRegenerate={chat.regenerate}
          onEditLast={chat.editLast}
        />
        <Composer busy={chat.busy} returned={chat.returned} onSend={chat.send} onStop={chat.stop} />
      </GlassPanel>

      <ConfirmDialog
        open={Boolean(toDelete)}
        title={t('chat.delete')}
        confirmLabel={t('chat.deleteConfirmButton')}
        onConfirm={confirmDelete}
        onClose={() => setToDelete(null)}
        danger
        testId="chat-confirm-delete"
      >
        {t('chat.deleteConfirm', { title: toDelete?.title || '…' })}
      </ConfirmDialog>
    </div>
  );
}

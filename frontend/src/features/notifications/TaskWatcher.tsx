// Mounted once in the app shell, on every page: polls the running tasks (and
// only them), patches every cached list, and tells the user when one finishes:
// a toast with a link, the Gallery badge, the tab title, and — if they opted
// in — a browser notification while the tab is hidden.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { ApiError } from '../../api/apiService';
import type { Task } from '../../api/types';
import { useToast } from '../../components/ui/Toast';
import { taskWatch } from '../../hooks/taskWatch';
import { fetchTask, fetchTasks, isActive, patchTaskInLists, pollDelay, tasksKey } from '../../hooks/useTasks';
import { useLatest } from '../../hooks/useLatest';
import { meKey } from '../../hooks/useSession';
import { useI18n } from '../../i18n';
import { browserNotify, composeTitle, notices } from './store';

/** Where a finished task is seen: its page's result canvas for the newest, else the Gallery. */
export function resultLink(task: Pick<Task, 'type'>): string {
  return `/gallery?type=${task.type}`;
}

function useRunningCount(): number {
  useSyncExternalStore(taskWatch.subscribe, taskWatch.version, taskWatch.version);
  return taskWatch.ids().length;
}

export function TaskWatcher() {
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  const { t } = useI18n();
  const running = useRunningCount();
  const justDone = useSyncExternalStore(notices.subscribe, notices.justDone, notices.justDone);
  const page = useSyncExternalStore(notices.subscribe, notices.pageTitle, notices.pageTitle);
  // The poller (an effect) calls the newest version: current language, page and toasts.
  const onFinish = useLatest((task: Task) => {
    const ok = task.status === 'COMPLETED';
    const kind = t(task.type === 'video' ? 'notify.kind.video' : 'notify.kind.image');
    const message = ok ? t('notify.done', { kind }) : t('notify.failed', { kind });
    const href = resultLink(task);
    if (!location.pathname.startsWith('/gallery')) notices.finished();
    toast.show(message, ok ? 'success' : 'error', {
      durationMs: 8000,
      testId: 'task-done-toast',
      action: { label: t('notify.view'), href, onClick: () => navigate(href) },
    });
    if (document.hidden && browserNotify.enabled()) {
      try {
        new Notification(message, { body: task.prompt.slice(0, 140), tag: task.id });
      } catch {
        /* some browsers allow notifications only from a service worker */
      }
    }
  });

  // Poll the running tasks with a backoff (1 s → 5 s), restarting at 1 s when the set changes.
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let signature = '';
    let rounds = 0;
    const tick = async () => {
      const ids = taskWatch.ids();
      if (ids.length === 0 || stopped) return;
      const answers = await Promise.all(
        ids.map((id) =>
          fetchTask(id).then(
            (task) => ({ id, task }),
            (e: unknown) => ({ id, task: e instanceof ApiError && e.status === 404 ? null : undefined }),
          ),
        ),
      );
      if (stopped) return;
      let finished = false;
      for (const { id, task } of answers) {
        if (task === undefined) continue; // a hiccup: ask again next round
        if (task === null) {
          taskWatch.remove(id);
          patchTaskInLists(qc, id, null);
          continue;
        }
        patchTaskInLists(qc, id, task);
        if (isActive(task)) taskWatch.update(task);
        else {
          taskWatch.remove(id);
          finished = true;
          onFinish.current(task);
        }
      }
      if (finished) {
        void qc.invalidateQueries({ queryKey: meKey });
        void qc.invalidateQueries({ queryKey: tasksKey });
      }
      schedule();
    };
    const schedule = () => {
      window.clearTimeout(timer);
      const ids = taskWatch.ids();
      if (stopped || ids.length === 0) return;
      const now = ids.join(',');
      rounds = now === signature ? rounds + 1 : 0;
      signature = now;
      timer = window.setTimeout(() => void tick(), pollDelay(rounds));
    };
    // A task added (or the first list loaded) starts the loop; an idle loop stays idle.
    let wasIdle = true;
    const unsubscribe = taskWatch.subscribe(() => {
      const idle = taskWatch.ids().length === 0;
      if (wasIdle && !idle) {
        rounds = 0;
        signature = '';
        schedule();
      }
      wasIdle = idle;
    });
    if (taskWatch.ids().length) {
      wasIdle = false;
      schedule();
    }
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      unsubscribe();
    };
  }, [qc, onFinish]);

  // Know about tasks that run even before any list is opened (a reload mid-generation).
  useEffect(() => {
    for (const status of ['GENERATING', 'PENDING'] as const)
      fetchTasks({ status, limit: 24 }).then((p) => p.items.forEach((task) => taskWatch.add(task)), () => undefined);
  }, []);

  // Opening the Gallery clears the badge; coming back to the tab ends the "Done" title after a moment.
  useEffect(() => {
    if (location.pathname.startsWith('/gallery')) notices.seen();
  }, [location.pathname]);
  useEffect(() => {
    if (!justDone) return;
    const clear = () => {
      if (!document.hidden) window.setTimeout(() => notices.acknowledge(), 10_000);
    };
    clear();
    document.addEventListener('visibilitychange', clear);
    return () => document.removeEventListener('visibilitychange', clear);
  }, [justDone]);

  useEffect(() => {
    document.title = composeTitle({ running, justDone, page, generating: t('notify.generating'), done: t('notify.doneTitle'), app: t('app.name') });
  }, [running, justDone, page, t]);

  return null;
}

/** Sets this page's part of the tab title while the page is mounted. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    notices.setPageTitle(title);
  }, [title]);
}

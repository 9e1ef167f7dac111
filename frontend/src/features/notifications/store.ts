// What the app tells the user about finished generations, outside React so
// the shell (badge, title) and the watcher share it: the count of results not
// yet seen in the Gallery, whether something just finished, and the page title.
type Listener = () => void;

const listeners = new Set<Listener>();
let unseen = 0;
let justDone = false;
let pageTitle = '';

function emit(): void {
  listeners.forEach((fn) => fn());
}

export const notices = {
  unseen: () => unseen,
  justDone: () => justDone,
  pageTitle: () => pageTitle,
  /** A generation finished (COMPLETED or FAILED) while the user was not looking at it. */
  finished(): void {
    unseen++;
    justDone = true;
    emit();
  },
  /** The Gallery was opened: every result has been seen. */
  seen(): void {
    if (unseen === 0 && !justDone) return;
    unseen = 0;
    justDone = false;
    emit();
  },
  /** The user came back to the tab / moved on: the title stops saying "Done". */
  acknowledge(): void {
    if (!justDone) return;
    justDone = false;
    emit();
  },
  setPageTitle(title: string): void {
    if (title === pageTitle) return;
    pageTitle = title;
    emit();
  },
  subscribe(fn: Listener): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

const NOTIFY_KEY = 'sora.notify';

/** Browser notifications: only after the user opted in (and the browser granted permission). */
export const browserNotify = {
  supported: (): boolean => typeof window !== 'undefined' && 'Notification' in window,
  enabled(): boolean {
    try {
      return this.supported() && Notification.permission === 'granted' && localStorage.getItem(NOTIFY_KEY) === '1';
    } catch {
      return false;
    }
  },
  async enable(): Promise<boolean> {
    if (!this.supported()) return false;
    const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    const ok = permission === 'granted';
    try {
      localStorage.setItem(NOTIFY_KEY, ok ? '1' : '0');
    } catch {
      /* private mode */
    }
    emit();
    return ok;
  },
  disable(): void {
    try {
      localStorage.setItem(NOTIFY_KEY, '0');
    } catch {
      /* private mode */
    }
    emit();
  },
};

/** The tab title: "(2) Generating… — Sora Studio" while tasks run, "✓ Done — Sora Studio" after one finished, else the page's. */
export function composeTitle(opts: { running: number; justDone: boolean; page: string; generating: string; done: string; app: string }): string {
  if (opts.running > 0) return `(${opts.running}) ${opts.generating} — ${opts.app}`;
  if (opts.justDone) return `✓ ${opts.done} — ${opts.app}`;
  return opts.page ? `${opts.page} — ${opts.app}` : opts.app;
}

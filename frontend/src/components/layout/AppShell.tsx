import { Suspense, useState, useSyncExternalStore } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import type { QuotaKind, User } from '../../api/types';
import { TaskWatcher, usePageTitle } from '../../features/notifications/TaskWatcher';
import { browserNotify, notices } from '../../features/notifications/store';
import { useMe, useSignOut } from '../../hooks/useSession';
import { useI18n, type MessageKey } from '../../i18n';
import { cx } from '../ui/cx';
import { LoadingState } from '../ui/States';
import { Icon, type IconName } from './icons';

interface NavItem {
  to: string;
  key: MessageKey;
  icon: IconName;
  testId: string;
  adminOnly?: boolean;
}

const NAV: NavItem[] = [
  { to: '/video', key: 'nav.video', icon: 'video', testId: 'nav-video' },
  { to: '/image', key: 'nav.image', icon: 'image', testId: 'nav-image' },
  { to: '/chat', key: 'nav.chat', icon: 'chat', testId: 'nav-chat' },
  { to: '/gallery', key: 'nav.gallery', icon: 'gallery', testId: 'nav-gallery' },
  { to: '/pricing', key: 'nav.pricing', icon: 'pricing', testId: 'nav-pricing' },
  { to: '/account', key: 'nav.account', icon: 'account', testId: 'nav-account' },
  { to: '/admin', key: 'nav.admin', icon: 'admin', testId: 'nav-admin', adminOnly: true },
];

/** The nav entry a path belongs to (its title is the page's part of the tab title). */
export function navItemFor(pathname: string): NavItem | undefined {
  return NAV.find((n) => pathname === n.to || pathname.startsWith(`${n.to}/`));
}

export function AppShell() {
  const { t } = useI18n();
  const me = useMe();
  const location = useLocation();
  // The mobile menu is open on the page where it was opened: navigating closes it.
  const [menuOpenOn, setMenuOpenOn] = useState<string | null>(null);
  const menuOpen = menuOpenOn === location.pathname;
  const setMenuOpen = (open: boolean) => setMenuOpenOn(open ? location.pathname : null);
  const current = navItemFor(location.pathname);
  usePageTitle(current ? t(current.key) : '');
  const unseen = useSyncExternalStore(notices.subscribe, notices.unseen, notices.unseen);

  const items = NAV.filter((n) => !n.adminOnly || me.data?.role === 'admin');

  return (
    <div className="min-h-screen md:pl-60">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-3 focus:top-3 focus:z-50 focus:rounded-lg focus:bg-ink-900 focus:px-3 focus:py-2">
        {t('app.skip')}
      </a>

      {menuOpen && <div aria-hidden="true" className="fixed inset-0 z-30 bg-ink-950/70 backdrop-blur-sm md:hidden" onClick={() => setMenuOpen(false)} />}

      <aside
        id="sidebar"
        className={cx(
          'glass-strong fixed inset-y-0 left-0 z-40 flex w-60 flex-col rounded-none border-y-0 border-l-0 p-4 transition-transform duration-200 md:translate-x-0',
          menuOpen ? 'translate-x-0' : '-translate-x-full',
        )}
      >
        <div className="mb-8 flex items-center gap-2 px-2 pt-1">
          <span aria-hidden="true" className="grid h-8 w-8 place-items-center rounded-lg bg-gradient-to-br from-neon-cyan to-neon-magenta text-ink-950 shadow-glow">
            <Icon name="bolt" className="h-4 w-4" />
          </span>
          <span className="text-lg font-semibold tracking-tight">
            <span className="neon-text">Sora</span> Studio
          </span>
        </div>
        <nav aria-label={t('nav.main')} className="flex flex-1 flex-col gap-1">
          {items.map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              data-testid={item.testId}
              className={({ isActive }) =>
                cx(
                  'group relative flex items-center gap-3 rounded-xl px-3 py-2.5 text-sm transition duration-150',
                  isActive ? 'bg-white/10 text-white shadow-glow' : 'text-slate-400 hover:bg-white/5 hover:text-white',
                )
              }
            >
              {({ isActive }) => (
                <>
                  <span
                    aria-hidden="true"
                    className={cx(
                      'absolute left-0 top-1/2 h-5 w-0.5 -translate-y-1/2 rounded-full bg-neon-cyan transition-opacity',
                      isActive ? 'opacity-100' : 'opacity-0',
                    )}
                  />
                  <Icon name={item.icon} className={cx('h-5 w-5 transition', isActive ? 'text-neon-cyan' : 'group-hover:text-neon-cyan')} />
                  {t(item.key)}
                  {item.to === '/gallery' && unseen > 0 && (
                    <span
                      className="ml-auto grid h-5 min-w-5 place-items-center rounded-full bg-neon-magenta px-1.5 text-[11px] font-semibold text-ink-950 shadow-glow-magenta"
                      data-testid="gallery-badge"
                      aria-label={t('notify.badge', { n: unseen })}
                    >
                      {unseen}
                    </span>
                  )}
                </>
              )}
            </NavLink>
          ))}
        </nav>
        <p className="px-2 text-[11px] leading-snug text-slate-400">{t('app.tagline')}</p>
      </aside>

      <TaskWatcher />
      <Header user={me.data} menuOpen={menuOpen} onMenu={() => setMenuOpen(!menuOpen)} unseen={unseen} />

      <main
        id="main"
        tabIndex={-1}
        className={cx(
          'mx-auto w-full max-w-7xl px-4 focus:outline-none sm:px-6 lg:px-8',
          // The chat is a fixed-height app screen (its history scrolls inside); other pages scroll.
          location.pathname.startsWith('/chat') ? 'pb-3 pt-3 sm:pb-4 sm:pt-6' : 'pb-16 pt-6',
        )}
      >
        <Suspense fallback={<LoadingState />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

const QUOTA_KINDS: QuotaKind[] = ['video', 'image', 'chat'];

function Header({ user, menuOpen, onMenu, unseen }: { user?: User; menuOpen: boolean; onMenu: () => void; unseen: number }) {
  const { t, lang, setLang, formatDate } = useI18n();
  const signOut = useSignOut();
  return (
    <header className="glass-strong sticky top-0 z-20 flex h-16 items-center gap-3 rounded-none border-x-0 border-t-0 px-4 sm:px-6">
      <button
        type="button"
        onClick={onMenu}
        aria-label={t('nav.menu')}
        aria-expanded={menuOpen}
        aria-controls="sidebar"
        data-testid="menu-toggle"
        className="relative rounded-lg p-2 text-slate-300 hover:bg-white/10 md:hidden"
      >
        <Icon name="menu" />
        {unseen > 0 && <span aria-hidden="true" className="absolute right-1.5 top-1.5 h-2 w-2 rounded-full bg-neon-magenta shadow-glow-magenta" />}
      </button>

      <div className="hidden min-w-0 flex-1 items-center gap-2 lg:flex" data-testid="quota-summary">
        {user &&
          QUOTA_KINDS.map((kind) => {
            const q = user.quota?.[kind];
            if (!q) return null;
            const left = Math.max(0, q.limit - q.used);
            return (
              <span
                key={kind}
                className={cx('chip', left === 0 ? 'border-rose-400/40 text-rose-200' : 'text-slate-300')}
                title={t('header.resets', { time: formatDate(q.resets_at) })}
                data-testid={`quota-${kind}`}
                data-left={left}
              >
                {t('header.quotaLeft', { kind: t(`kind.${kind}` as MessageKey), left, limit: q.limit })}
              </span>
            );
          })}
      </div>
      <div className="flex-1 lg:hidden" />

      <span
        className="chip border-neon-cyan/40 bg-neon-cyan/10 font-mono text-neon-cyan shadow-glow"
        data-testid="credits-badge"
        data-credits={user?.credits ?? ''}
        aria-label={`${t('header.credits')}: ${user?.credits ?? '—'}`}
      >
        <Icon name="bolt" className="h-3.5 w-3.5" />
        {user ? user.credits : '—'}
      </span>

      <NotifyToggle />

      <button
        type="button"
        data-testid="lang-switch"
        data-lang={lang}
        onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
        className="chip h-8 gap-1.5 px-3 text-slate-300 transition hover:border-neon-magenta/60 hover:text-white active:scale-95"
      >
        <Icon name="globe" className="h-4 w-4" />
        <span className="sr-only">{t('lang.switch')}: </span>
        <span lang={lang === 'zh' ? 'en' : 'zh-CN'}>{lang === 'zh' ? 'EN' : '中文'}</span>
      </button>

      <button
        type="button"
        data-testid="logout-button"
        onClick={signOut}
        className="inline-flex h-8 items-center gap-1.5 rounded-full px-3 text-xs text-slate-400 transition hover:bg-white/10 hover:text-white active:scale-95"
      >
        <Icon name="logout" className="h-4 w-4" />
        <span className="hidden sm:inline">{t('auth.logout')}</span>
        <span className="sr-only sm:hidden">{t('auth.logout')}</span>
      </button>
    </header>
  );
}

/** Opt-in browser notifications for finished generations (asked only when the user clicks). */
function NotifyToggle() {
  const { t } = useI18n();
  const [, force] = useState(0);
  if (!browserNotify.supported() || Notification.permission === 'denied') return null;
  const on = browserNotify.enabled();
  return (
    <button
      type="button"
      onClick={() => {
        if (on) browserNotify.disable();
        else void browserNotify.enable().then(() => force((n) => n + 1));
        force((n) => n + 1);
      }}
      aria-pressed={on}
      aria-label={on ? t('notify.browserOff') : t('notify.browserOn')}
      title={on ? t('notify.browserOff') : t('notify.browserOn')}
      data-testid="notify-toggle"
      className={cx(
        'grid h-8 w-8 place-items-center rounded-full transition hover:bg-white/10 active:scale-95',
        on ? 'text-neon-cyan' : 'text-slate-400 hover:text-white',
      )}
    >
      <Icon name="bell" className="h-4 w-4" />
    </button>
  );
}

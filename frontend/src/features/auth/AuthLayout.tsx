import { useEffect, type ReactNode } from 'react';
import { Icon } from '../../components/layout/icons';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { useI18n } from '../../i18n';

export function AuthLayout({ title, subtitle, children }: { title: string; subtitle: string; children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  useEffect(() => {
    document.title = `${title} — ${t('app.name')}`;
  }, [title, t]);
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-md animate-fade-up">
        <div className="mb-6 flex items-center justify-between">
          <span className="flex items-center gap-2 text-lg font-semibold">
            <span aria-hidden="true" className="grid h-8 w-8 place-items-center rounded-lg bg-gradient-to-br from-neon-cyan to-neon-magenta text-ink-950 shadow-glow">
              <Icon name="bolt" className="h-4 w-4" />
            </span>
            <span>
              <span className="neon-text">Sora</span> Studio
            </span>
          </span>
          <button
            type="button"
            data-testid="lang-switch"
            data-lang={lang}
            onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
                className="chip h-8 px-3 text-slate-300 transition hover:text-white active:scale-95"
          >
            <span className="sr-only">{t('lang.switch')}: </span>
            <span lang={lang === 'zh' ? 'en' : 'zh-CN'}>{lang === 'zh' ? 'EN' : '中文'}</span>
          </button>
        </div>
        <GlassPanel strong className="relative overflow-hidden">
          <div aria-hidden="true" className="absolute inset-x-0 top-0 h-px bg-gradient-to-r from-transparent via-neon-cyan to-transparent" />
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="mb-6 mt-1 text-sm text-slate-400">{subtitle}</p>
          {children}
        </GlassPanel>
      </div>
    </main>
  );
}

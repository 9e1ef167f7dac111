import { Icon } from '../../components/layout/icons';
import { Button } from '../../components/ui/Button';
import { GlassPanel } from '../../components/ui/GlassPanel';
import { EmptyState, ErrorState, LoadingState, PageHeader } from '../../components/ui/States';
import { useI18n } from '../../i18n';
import { useCheckout, usePackages } from './api';
import { formatPrice } from './money';

export default function PricingPage() {
  const { t, lang } = useI18n();
  const packages = usePackages();
  const checkout = useCheckout();

  return (
    <div>
      <PageHeader title={t('pricing.title')} subtitle={t('pricing.subtitle')} />
      {checkout.isError && (
        <div className="mb-4" data-testid="form-error">
          <ErrorState error={checkout.error} compact />
        </div>
      )}
      {packages.isPending ? (
        <LoadingState />
      ) : packages.isError ? (
        <ErrorState error={packages.error} onRetry={() => void packages.refetch()} />
      ) : packages.data.items.length === 0 ? (
        <EmptyState>{t('pricing.empty')}</EmptyState>
      ) : (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {packages.data.items.map((p, i) => (
            <GlassPanel
              key={p.id}
              as="article"
              data-testid="package-card"
              data-package-id={p.id}
              className="relative flex flex-col gap-4 overflow-hidden transition duration-200 hover:-translate-y-1 hover:shadow-glow"
            >
              {i === 1 && <div aria-hidden="true" className="absolute inset-x-0 top-0 h-px bg-gradient-to-r from-neon-cyan via-neon-magenta to-neon-cyan" />}
              <h2 className="text-lg font-semibold">{p.name}</h2>
              <p className="flex items-center gap-2 font-mono text-3xl text-neon-cyan">
                <Icon name="bolt" className="h-6 w-6" />
                {p.credits}
              </p>
              <p className="text-sm text-slate-400">{t('pricing.credits', { n: p.credits })}</p>
              <Button
                variant={i === 1 ? 'primary' : 'ghost'}
                className="mt-auto"
                onClick={() => checkout.mutate(p.id)}
                loading={checkout.isPending && checkout.variables === p.id}
                disabled={checkout.isPending || checkout.isSuccess}
                data-testid="buy-button"
              >
                {t('pricing.buy')} · {formatPrice(p.price_cents, p.currency, lang)}
              </Button>
            </GlassPanel>
          ))}
        </div>
      )}
      {checkout.isSuccess && (
        <p role="status" className="mt-4 text-sm text-slate-400">
          {t('pricing.redirecting')}
        </p>
      )}
    </div>
  );
}

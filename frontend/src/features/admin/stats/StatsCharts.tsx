// The dashboard's charts, drawn with Chart.js (only the pieces used are
// registered). This module is loaded lazily: Chart.js is in its own chunk and
// never part of the initial download.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'react';
import type { AdminStats } from '../../../api/generated';
import { GlassPanel } from '../../../components/ui/GlassPanel';
import { useAdminText } from '../text';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.color = '#cbd5e1';
Chart.defaults.borderColor = 'rgba(255,255,255,0.08)';
Chart.defaults.font.family = '"Inter Variable", Inter, system-ui, sans-serif';

const CYAN = '#22d3ee';
const MAGENTA = '#e879f9';
const VIOLET = '#8b5cf6';
const ROSE = '#fb7185';
const LIME = '#a3e635';

function ChartCanvas({ config, label, testId }: { config: ChartConfiguration; label: string; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    const chart = new Chart(canvas.current, { ...config, options: { ...config.options, animation: reduce ? false : undefined } });
    return () => chart.destroy();
  }, [config]);
  return (
    <div className="relative h-56">
      <canvas ref={canvas} role="img" aria-label={label} data-testid={testId} />
    </div>
  );
}

export default function StatsCharts({ stats }: { stats: AdminStats }) {
  const a = useAdminText();
  const days = stats.daily.map((d) => d.day.slice(5));
  const common = { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: 'bottom' as const } } };
  const generations: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: days,
      datasets: [
        { label: a('chartImages'), data: stats.daily.map((d) => d.image), backgroundColor: CYAN, stack: 'kind' },
        { label: a('chartVideos'), data: stats.daily.map((d) => d.video), backgroundColor: MAGENTA, stack: 'kind' },
        { label: a('chartCompleted'), data: stats.daily.map((d) => d.completed), backgroundColor: LIME, stack: 'status' },
        { label: a('chartFailed'), data: stats.daily.map((d) => d.failed), backgroundColor: ROSE, stack: 'status' },
      ],
    },
    options: { ...common, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  };
  const revenue: ChartConfiguration = {
    type: 'line',
    data: {
      labels: days,
      datasets: [{ label: a('revenue'), data: stats.daily.map((d) => d.revenue_cents / 100), borderColor: VIOLET, backgroundColor: VIOLET, tension: 0.3 }],
    },
    options: { ...common, scales: { y: { beginAtZero: true } } },
  };
  const failures: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: stats.providers.map((p) => p.provider),
      datasets: [{ label: a('chartFailureRate'), data: stats.providers.map((p) => Math.round(p.failure_rate * 1000) / 10), backgroundColor: ROSE }],
    },
    options: { ...common, indexAxis: 'y', scales: { x: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } } } },
  };
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="admin-charts">
      <GlassPanel className="lg:col-span-2">
        <h2 className="label">{a('chartGenerations')}</h2>
        <ChartCanvas config={generations} label={a('chartGenerations')} testId="chart-generations" />
      </GlassPanel>
      <GlassPanel>
        <h2 className="label">{a('chartRevenue')}</h2>
        <ChartCanvas config={revenue} label={a('chartRevenue')} testId="chart-revenue" />
      </GlassPanel>
      <GlassPanel>
        <h2 className="label">{a('chartFailureRate')}</h2>
        <ChartCanvas config={failures} label={a('chartFailureRate')} testId="chart-failures" />
      </GlassPanel>
    </div>
  );
}

import { useEffect, useState } from 'react';
import type { Task } from '../api/types';

/**
 * The percentage to draw for a running task: the server's progress, advanced
 * locally between polls along the server's ETA (never past 99 until the task
 * is done), so the bar moves steadily instead of sitting still and jumping.
 */
export function smoothProgress(progress: number, etaS: number | null | undefined, sinceUpdateS: number): number {
  if (!etaS || etaS <= 0) return progress;
  const remaining = 100 - progress;
  const advanced = progress + remaining * Math.min(1, sinceUpdateS / (etaS + sinceUpdateS));
  return Math.min(99, Math.max(progress, advanced));
}

/**
 * The bar of a running task. A progress report's arrival is stamped by the 500 ms clock (at most
 * one tick late, the bar holds still until then), so render stays pure: no clock read, no state
 * set from an effect.
 */
export function useSmoothProgress(task: Pick<Task, 'progress' | 'eta_s' | 'status' | 'updated_at'>): { value: number; etaS: number | null } {
  const active = task.status === 'PENDING' || task.status === 'GENERATING';
  const report = `${task.progress}|${task.eta_s ?? ''}|${task.updated_at}`;
  const [clock, setClock] = useState<{ report: string; received: number; now: number } | null>(null);
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => {
      const now = Date.now();
      setClock((c) => (c?.report === report ? { ...c, now } : { report, received: now, now }));
    }, 500);
    return () => window.clearInterval(id);
  }, [active, report]);
  if (!active) return { value: task.status === 'COMPLETED' ? 100 : task.progress, etaS: null };
  const since = clock?.report === report ? Math.max(0, (clock.now - clock.received) / 1000) : 0;
  const eta = task.eta_s ?? null;
  return { value: smoothProgress(task.progress, eta, since), etaS: eta === null ? null : Math.max(1, Math.round(eta - since)) };
}

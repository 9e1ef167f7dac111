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

export function useSmoothProgress(task: Pick<Task, 'progress' | 'eta_s' | 'status' | 'updated_at'>): { value: number; etaS: number | null } {
  const active = task.status === 'PENDING' || task.status === 'GENERATING';
  const [received, setReceived] = useState(() => Date.now());
  const [now, setNow] = useState(() => Date.now());
  // eslint-disable-next-line react-hooks/set-state-in-effect -- stamp when a new progress report arrived
  useEffect(() => setReceived(Date.now()), [task.progress, task.eta_s, task.updated_at]);
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(id);
  }, [active]);
  if (!active) return { value: task.status === 'COMPLETED' ? 100 : task.progress, etaS: null };
  const since = Math.max(0, (now - received) / 1000);
  const eta = task.eta_s ?? null;
  return { value: smoothProgress(task.progress, eta, since), etaS: eta === null ? null : Math.max(1, Math.round(eta - since)) };
}

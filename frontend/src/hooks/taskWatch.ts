// The set of running tasks the app watches, shared by every page: a page that
// creates a task adds it here; the watcher (features/notifications) polls only
// these ids and patches each answer into every cached task list, so lists never
// poll themselves (issue #14 item 5).
import type { Task } from '../api/types';

type Listener = () => void;

const running = new Map<string, Task>();
const listeners = new Set<Listener>();
let version = 0;

function emit(): void {
  version++;
  listeners.forEach((fn) => fn());
}

export const taskWatch = {
  /** Starts watching `task` if it is still PENDING/GENERATING (a finished one is ignored). */
  add(task: Task): void {
    if (task.status !== 'PENDING' && task.status !== 'GENERATING') return;
    if (running.has(task.id)) return;
    running.set(task.id, task);
    emit();
  },
  update(task: Task): void {
    if (!running.has(task.id)) return;
    running.set(task.id, task);
    emit();
  },
  remove(id: string): void {
    if (running.delete(id)) emit();
  },
  ids(): string[] {
    return [...running.keys()];
  },
  tasks(): Task[] {
    return [...running.values()];
  },
  version(): number {
    return version;
  },
  subscribe(fn: Listener): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  /** For tests. */
  clear(): void {
    running.clear();
    emit();
  },
};

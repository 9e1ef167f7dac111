// Types of the HTTP contract (shared/API.md). Every type import in the app
// goes through this module. Shapes the backend defines are generated from
// common/models.py into generated.ts (`make openapi`) and re-exported here;
// only frontend-side helpers and not-yet-generated shapes are written below.

import type { QuotaState, Quota, Task as GeneratedTask, TaskStatus, TaskType } from './generated';

export type {
  AdminOrder,
  AdminSettings,
  AdminStats,
  AdminTask,
  AdminUserPatch,
  AuditEntry,
  AuthResponse,
  ChatConversation,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ChatSummary,
  CheckoutResponse,
  Order,
  OrderStatus,
  Package,
  CreateImageRequest,
  CreateVideoRequest,
  LoginRequest,
  Quota,
  RegisterRequest,
  Role,
  TaskCost,
  TaskError,
  TaskResult,
  TaskStatus,
  TaskType,
  UploadResult,
  User,
} from './generated';
export type { Health as HealthResponse } from './generated';

export type Task = GeneratedTask;
export type QuotaBucket = QuotaState;
export type QuotaKind = keyof Quota;
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['PENDING', 'GENERATING'];

export type ImageAspectRatio = '1:1' | '16:9' | '9:16' | '4:3' | '3:4';
export type VideoAspectRatio = '16:9' | '9:16';
export type VideoDuration = 4 | 8 | 12;

export const IMAGE_ASPECT_RATIOS: readonly ImageAspectRatio[] = ['1:1', '16:9', '9:16', '4:3', '3:4'];
export const VIDEO_ASPECT_RATIOS: readonly VideoAspectRatio[] = ['16:9', '9:16'];
export const VIDEO_DURATIONS: readonly VideoDuration[] = [4, 8, 12];

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface TaskListQuery {
  type?: TaskType;
  status?: TaskStatus;
  limit?: number;
  cursor?: string | null;
}

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details?: Record<string, unknown> | null;
  };
}

/** The runtime config served as /config.json next to the frontend on *.run.app. */
export type ApiFunction = 'auth' | 'generate' | 'chat' | 'proxy' | 'billing' | 'admin';

export interface RuntimeConfig {
  api: Partial<Record<ApiFunction, string>>;
}

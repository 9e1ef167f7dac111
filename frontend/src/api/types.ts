// Types of the HTTP contract (shared/API.md). Every type import in the app
// goes through this module. Shapes the backend defines are generated from
// common/models.py into generated.ts (`make openapi`) and re-exported here;
// only frontend-side helpers and not-yet-generated shapes are written below.

import type { QuotaState, Quota, Role, Task as GeneratedTask, TaskStatus, TaskType } from './generated';

export type {
  AuthResponse,
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

// Chat
export interface ChatSummary {
  id: string;
  title: string;
  updated_at: string;
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant' | 'system' | string;
  text: string;
  attachments: string[];
  created_at: string;
}

export interface ChatConversation {
  id: string;
  title: string;
  messages: ChatMessage[];
}

export interface ChatRequest {
  conversation_id?: string;
  message: string;
  attachments?: string[];
}

export interface ChatResponse {
  conversation_id: string;
  // API.md says `message`; accept either a message object or its text.
  message: ChatMessage | string;
}

// Billing
export interface Package {
  id: string;
  name: string;
  credits: number;
  price_cents: number;
  currency: string;
}

export type OrderStatus = 'PENDING' | 'PAID' | 'CANCELED' | 'REFUNDED';

export interface Order {
  id: string;
  user_id: string;
  package_id: string;
  credits: number;
  price_cents: number;
  currency: string;
  status: OrderStatus;
  provider: 'stripe' | 'sandbox';
  created_at: string;
  paid_at: string | null;
}

export interface CheckoutResponse {
  order: Order;
  checkout_url: string;
}

// Admin (shapes of stats and settings are not pinned by API.md yet)
export type AdminStats = Record<string, unknown>;
export type AdminSettings = Record<string, unknown>;

export interface AdminUserPatch {
  role?: Role;
  disabled?: boolean;
  credits_delta?: number;
  note?: string;
}

export interface HealthResponse {
  status: string;
  version: string;
  checks: Record<string, string>;
}

/** The runtime config served as /config.json next to the frontend on *.run.app. */
export type ApiFunction = 'auth' | 'generate' | 'chat' | 'proxy' | 'billing' | 'admin';

export interface RuntimeConfig {
  api: Partial<Record<ApiFunction, string>>;
}

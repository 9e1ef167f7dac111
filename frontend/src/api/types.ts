// Types of the HTTP contract (shared/API.md). Every type import in the app
// goes through this module: when the backend starts generating
// `generated.ts` from common/models.py, this file becomes a re-export and no
// caller changes.

export type Role = 'user' | 'admin';
export type TaskType = 'image' | 'video';
export type TaskStatus = 'PENDING' | 'GENERATING' | 'COMPLETED' | 'FAILED';
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['PENDING', 'GENERATING'];
export type QuotaKind = 'video' | 'image' | 'chat';

export interface QuotaBucket {
  limit: number;
  used: number;
  resets_at: string;
}

export type Quota = Record<QuotaKind, QuotaBucket>;

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  credits: number;
  disabled: boolean;
  created_at: string;
  quota: Quota;
}

export interface AuthResponse {
  token: string;
  user: User;
}

export interface RegisterRequest {
  email: string;
  password: string;
  name?: string;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface TaskResult {
  url: string;
  thumbnail_url: string | null;
  mime_type: string;
  bytes: number;
  width: number | null;
  height: number | null;
  duration_s: number | null;
}

export interface TaskError {
  code: string;
  message: string;
}

export interface TaskCost {
  credits: number;
  from_quota: boolean;
}

export interface Task {
  id: string;
  type: TaskType;
  status: TaskStatus;
  progress: number;
  prompt: string;
  params: Record<string, unknown>;
  provider: string;
  result: TaskResult | null;
  error: TaskError | null;
  cost: TaskCost | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export type ImageAspectRatio = '1:1' | '16:9' | '9:16' | '4:3' | '3:4';
export type VideoAspectRatio = '16:9' | '9:16';
export type VideoDuration = 4 | 8 | 12;

export const IMAGE_ASPECT_RATIOS: readonly ImageAspectRatio[] = ['1:1', '16:9', '9:16', '4:3', '3:4'];
export const VIDEO_ASPECT_RATIOS: readonly VideoAspectRatio[] = ['16:9', '9:16'];
export const VIDEO_DURATIONS: readonly VideoDuration[] = [4, 8, 12];

export interface CreateImageRequest {
  prompt: string;
  aspect_ratio?: ImageAspectRatio;
  reference_urls?: string[];
}

export interface CreateVideoRequest {
  prompt: string;
  image_url?: string;
  duration_s?: VideoDuration;
  aspect_ratio?: VideoAspectRatio;
}

export interface UploadResult {
  url: string;
  mime_type: string;
  bytes: number;
  width: number;
  height: number;
}

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

// Where the API lives (relative on the proxy domain and the local stack, absolute per-function
// URLs on *.run.app), the session token, and the one place that turns a failed answer into an
// ApiError whose message a person can act on. Requests go through the generated client
// (client.ts: openapi-fetch + unwrap); the chat stream (features/chat/chatStream.ts) reads
// server-sent events with fetch directly.
import { formatDateTime, translate, type MessageKey } from '../i18n';
import type { ApiFunction, RuntimeConfig } from './types';
import { functionForPath } from './origins';

// ---------------------------------------------------------------- locating the API

export function isRunAppOrigin(origin: string): boolean {
  try {
    return new URL(origin).hostname.endsWith('.run.app');
  } catch {
    return false;
  }
}

/** Which deployable serves a path (DESIGN.md: one Cloud Run service per function; the table is routes.json). */
export function functionFor(path: string): ApiFunction {
  return functionForPath(path) as ApiFunction;
}

/**
 * The origin to put in front of an `/api/...` path: '' (relative) everywhere
 * but on *.run.app, where each function is its own service named in config.
 */
export function resolveBase(origin: string, config: RuntimeConfig | null, path: string): string {
  if (!isRunAppOrigin(origin)) return '';
  const base = config?.api?.[functionFor(path)];
  return base ? base.replace(/\/+$/, '') : '';
}

export function buildUrl(origin: string, config: RuntimeConfig | null, path: string): string {
  return resolveBase(origin, config, path) + path;
}

let runtimeConfig: RuntimeConfig | null = null;
let configPromise: Promise<RuntimeConfig | null> | null = null;

function currentOrigin(): string {
  return typeof window === 'undefined' ? 'http://localhost' : window.location.origin;
}

/** Loads /config.json once when served from *.run.app; a no-op elsewhere. */
export function initApi(): Promise<RuntimeConfig | null> {
  if (!isRunAppOrigin(currentOrigin())) return Promise.resolve(null);
  configPromise ??= fetch('/config.json', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? (r.json() as Promise<RuntimeConfig>) : null))
    .catch(() => null)
    .then((cfg) => {
      if (!cfg?.api) console.warn('sora: /config.json missing or invalid; falling back to relative /api URLs');
      runtimeConfig = cfg?.api ? cfg : null;
      return runtimeConfig;
    });
  return configPromise;
}

/** For tests: forget any loaded config. */
export function resetApiForTests(config: RuntimeConfig | null = null): void {
  runtimeConfig = config;
  configPromise = config ? Promise.resolve(config) : null;
}

export function apiUrl(path: string): string {
  return buildUrl(currentOrigin(), runtimeConfig, path);
}

// ---------------------------------------------------------------- media URLs

const PROXY_PATH = '/api/ai/proxy';

export function isProxyUrl(url: string): boolean {
  if (url.startsWith(PROXY_PATH + '?')) return true;
  try {
    return new URL(url).pathname === PROXY_PATH;
  } catch {
    return false;
  }
}

/**
 * The src for an <img>/<video>. Only proxy URLs are allowed (no raw bucket
 * or third-party URLs ever reach the DOM); on *.run.app the relative proxy
 * path gets the proxy function's origin.
 */
export function mediaUrl(url: string | null | undefined): string | undefined {
  if (!url || !isProxyUrl(url)) return undefined;
  return url.startsWith('/') ? apiUrl(url) : url;
}

export function downloadUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  return mediaUrl(url + (url.includes('?') ? '&' : '?') + 'download=1');
}

/** A link the server handed us (e.g. checkout_url): absolute stays, /api/... is resolved. */
export function resolveHref(url: string): string {
  return url.startsWith('/api/') ? apiUrl(url) : url;
}

// ---------------------------------------------------------------- the session token

const TOKEN_KEY = 'sora.token';
const tokenListeners = new Set<() => void>();

export const tokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    localStorage.setItem(TOKEN_KEY, token);
    tokenListeners.forEach((fn) => fn());
  },
  clear(): void {
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch {
      /* nothing stored */
    }
    tokenListeners.forEach((fn) => fn());
  },
  subscribe(fn: () => void): () => void {
    tokenListeners.add(fn);
    return () => tokenListeners.delete(fn);
  },
};

function defaultUnauthorized(): void {
  if (typeof window !== 'undefined' && !window.location.pathname.startsWith('/login')) {
    const next = window.location.pathname + window.location.search;
    window.location.assign('/login?next=' + encodeURIComponent(next));
  }
}

let onUnauthorized: () => void = defaultUnauthorized;

/** A request that carried the session token was answered 401: the session is over. */
export function endRejectedSession(): void {
  tokenStore.clear();
  onUnauthorized();
}

/** The app swaps the hard redirect for a router navigation once it is mounted. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn ?? defaultUnauthorized;
}

// ---------------------------------------------------------------- errors

export type ErrorAction = 'pricing' | 'login';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly serverMessage: string;
  readonly action?: ErrorAction;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: Record<string, unknown>;
    serverMessage?: string;
    action?: ErrorAction;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.serverMessage = init.serverMessage ?? '';
    this.action = init.action;
  }
}

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  402: 'insufficient_credits',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'provider_unavailable',
};

// Codes whose wording we own (and translate); anything else shows the server's sentence.
const TRANSLATED_CODES = new Set([
  'insufficient_credits',
  'payload_too_large',
  'unsupported_media_type',
  'provider_unavailable',
  'invalid_credentials',
  'email_taken',
  'unauthorized',
  'token_expired',
  'forbidden',
  'not_enabled',
  'internal',
]);

function asRecord(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function retryAfterSeconds(header: string | null, details: Record<string, unknown>): number | null {
  const fromDetails = Number(details.retry_after ?? details.retry_after_s);
  if (Number.isFinite(fromDetails) && fromDetails > 0) return Math.ceil(fromDetails);
  if (!header) return null;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(1, Math.ceil(secs));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

/** Turns a failed response (status, parsed body, Retry-After) into an ApiError with a readable message. */
export function toApiError(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const err = asRecord(asRecord(body)?.error);
  const code = typeof err?.code === 'string' ? err.code : CODE_FOR_STATUS[status] ?? (status >= 500 ? 'internal' : 'http_error');
  const serverMessage = typeof err?.message === 'string' ? err.message : '';
  const details = asRecord(err?.details) ?? {};
  const fallback = serverMessage || translate('err.http', { status });
  let message: string;
  let action: ErrorAction | undefined;

  switch (code) {
    case 'quota_exceeded': {
      const resetsAt = typeof details.resets_at === 'string' ? details.resets_at : null;
      const kindRaw = details.kind ?? details.type;
      const kind = kindRaw === 'video' || kindRaw === 'image' || kindRaw === 'chat' ? translate(`kind.${kindRaw}` as MessageKey) : null;
      if (resetsAt && kind) message = translate('err.quota_exceeded_kind', { kind, time: formatDateTime(resetsAt) });
      else if (resetsAt) message = translate('err.quota_exceeded', { time: formatDateTime(resetsAt) });
      else message = translate('err.quota_exceeded_generic');
      break;
    }
    case 'rate_limited': {
      const secs = retryAfterSeconds(retryAfter, details);
      message = secs ? translate('err.rate_limited', { seconds: secs }) : translate('err.rate_limited_generic');
      break;
    }
    case 'not_found':
      message = translate('err.not_found');
      break;
    case 'invalid_request':
    case 'conflict':
      message = fallback;
      break;
    default:
      message = TRANSLATED_CODES.has(code) ? translate(`err.${code}` as MessageKey) : fallback;
  }
  if (code === 'insufficient_credits') action = 'pricing';
  if (status === 401 && code !== 'invalid_credentials') action = 'login';
  return new ApiError({ status, code, message, details, serverMessage, action });
}

export function networkError(): ApiError {
  return new ApiError({ status: 0, code: 'network', message: translate('err.network') });
}

/** The message to show for anything thrown: ApiError's readable text, else a generic line. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return translate('common.error');
}

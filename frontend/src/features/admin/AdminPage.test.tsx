// The admin panel, tab by tab, against MSW: what each tab shows, and what each action sends.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { tokenStore } from '../../api/apiService';
import type { AdminSettings, AdminStats, AuditPage, User } from '../../api/generated';
import { http, HttpResponse, sentRequests, server } from '../../test/msw';
import { renderWithProviders } from '../../test/render';
import AdminPage from './AdminPage';
import { AuditTab } from './audit/AuditTab';
import { OrdersTab } from './orders/OrdersTab';
import { SettingsTab } from './settings/SettingsTab';
import { TasksTab } from './tasks/TasksTab';
import { UsersTab } from './users/UsersTab';

const quotaState = { limit: 5, used: 0, cost: 0, resets_at: '2026-01-02T00:00:00Z' };
const user = (id: string, over: Partial<User> = {}): User => ({
  id,
  email: `${id}@example.com`,
  name: id.toUpperCase(),
  role: 'user',
  credits: 10,
  disabled: false,
  created_at: '2026-01-01T00:00:00Z',
  quota: { video: quotaState, image: quotaState, chat: quotaState },
  ...over,
});

const stats: AdminStats = {
  users: 42,
  generations_today: 7,
  disabled_users: 1,
  revenue_cents: { usd: 1999 },
  tasks_by_status: { COMPLETED: 5 },
  tasks_by_type: { image: 5 },
  orders_by_status: { PAID: 2 },
  daily: [],
  providers: [],
};

const keyState = { set: false, last4: null, updated_at: null };
const settings: AdminSettings = {
  api_keys: {
    gemini_api_key: { set: true, last4: 'abcd', updated_at: null },
    openai_api_key: keyState,
    stripe_secret_key: keyState,
    stripe_webhook_secret: keyState,
    c2pa_certificate_chain: keyState,
    c2pa_private_key: keyState,
  },
  cors_origins: ['https://a.example'],
  packages: [{ id: 'starter', name: 'Starter', credits: 100, price_cents: 499, currency: 'usd' }],
  pricing: { quotas: { video: 1, image: 5, chat: 50 }, costs: { video: 10, image: 2, chat: 1 }, quota_timezone: 'UTC' },
  provenance: { c2pa: false },
  providers: {
    image_provider: 'sim',
    video_provider: 'sim',
    chat_provider: 'sim',
    gemini_mode: 'api_key',
    image_model: 'img-1',
    veo_model: 'veo-1',
    sora_model: 'sora-1',
    chat_model: 'chat-1',
    gemini_base_url: '',
    openai_base_url: '',
    vertex_project: '',
    vertex_location: '',
  },
  watermark: { enabled: false, text: '' },
};

const sent = async (method: string, prefix: string) =>
  (await sentRequests()).filter((r) => r.method === method && r.path.startsWith(prefix));

beforeEach(() => {
  localStorage.clear();
  tokenStore.set('tok');
});

describe('AdminPage (the shell)', () => {
  it('opens on the dashboard and switches tabs, one panel at a time', async () => {
    server.use(
      http.get('/api/admin/stats', () => HttpResponse.json(stats)),
      http.get('/api/admin/audit', () => HttpResponse.json({ items: [], next_cursor: null })),
    );
    renderWithProviders(<AdminPage />);
    const tabs = screen.getAllByRole('tab').map((t) => t.textContent);
    expect(tabs).toEqual(['Stats', 'Users', 'Tasks', 'Orders', 'Settings', 'Audit']);
    expect(await screen.findByTestId('stat-users')).toHaveProperty('textContent', '42');
    expect(screen.getByTestId('stat-revenue').textContent).toBe('$19.99');

    fireEvent.click(screen.getByTestId('admin-tab-audit'));
    expect(screen.getByTestId('admin-tab-audit').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('tabpanel').id).toBe('admin-panel-audit');
    expect(await screen.findByText('Nothing here yet.')).toBeTruthy();
    expect(screen.queryByTestId('admin-stats')).toBeNull();
  });
});

describe('UsersTab', () => {
  it('searches, then grants credits through the dialog and refetches the list', async () => {
    let credits = 10;
    server.use(
      http.get('/api/admin/users', () => HttpResponse.json({ items: [user('ada', { credits })], next_cursor: null })),
      http.patch('/api/admin/users/:id', async ({ request }) => {
        credits += ((await request.json()) as { credits_delta: number }).credits_delta;
        return HttpResponse.json(user('ada', { credits }));
      }),
      http.get('/api/admin/audit', () => HttpResponse.json({ items: [], next_cursor: null })),
    );
    renderWithProviders(<UsersTab />);
    expect((await screen.findByTestId('admin-user-credits')).textContent).toBe('10');

    fireEvent.change(screen.getByTestId('admin-user-search'), { target: { value: '  ada ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search users' }));
    await waitFor(async () => expect((await sent('GET', '/api/admin/users')).map((r) => r.path)).toContain('/api/admin/users?q=ada'));

    fireEvent.click(screen.getByTestId('admin-user-grant'));
    const dialog = await screen.findByTestId('admin-grant-dialog');
    fireEvent.change(within(dialog).getByTestId('admin-grant-amount'), { target: { value: '25' } });
    fireEvent.change(within(dialog).getByTestId('admin-grant-note'), { target: { value: 'promo' } });
    fireEvent.click(within(dialog).getByTestId('admin-grant-submit'));

    await waitFor(() => expect(screen.getByTestId('admin-user-credits').textContent).toBe('35'));
    const [patch] = await sent('PATCH', '/api/admin/users/ada');
    expect(JSON.parse(patch.body)).toEqual({ credits_delta: 25, note: 'promo' });
    expect(await screen.findByText('User updated.')).toBeTruthy();
  });

  it('refuses a grant of 0 or beyond the API range (AdminUserPatch.credits_delta), sending nothing', async () => {
    server.use(http.get('/api/admin/users', () => HttpResponse.json({ items: [user('cy')], next_cursor: null })));
    renderWithProviders(<UsersTab />);
    fireEvent.click(await screen.findByTestId('admin-user-grant'));
    const dialog = await screen.findByTestId('admin-grant-dialog');
    const amount = within(dialog).getByTestId('admin-grant-amount');
    fireEvent.change(amount, { target: { value: '0' } });
    fireEvent.click(within(dialog).getByTestId('admin-grant-submit'));
    await waitFor(() => expect(amount.getAttribute('aria-invalid')).toBe('true'));
    // After a submit the form re-checks on every change: a valid amount clears the error, a bad one sets it.
    for (const bad of ['1000001', '2.5', '-1000001']) {
      fireEvent.change(amount, { target: { value: '5' } });
      await waitFor(() => expect(amount.getAttribute('aria-invalid')).toBeNull());
      fireEvent.change(amount, { target: { value: bad } });
      await waitFor(() => expect(amount.getAttribute('aria-invalid')).toBe('true'));
    }
    expect(await sent('PATCH', '/api/admin/users')).toEqual([]);
  });

  it('asks before disabling a user and sends only `disabled`', async () => {
    server.use(
      http.get('/api/admin/users', () => HttpResponse.json({ items: [user('bob')], next_cursor: null })),
      http.patch('/api/admin/users/:id', () => HttpResponse.json(user('bob', { disabled: true }))),
      http.get('/api/admin/audit', () => HttpResponse.json({ items: [], next_cursor: null })),
    );
    renderWithProviders(<UsersTab />);
    fireEvent.click(await screen.findByTestId('admin-user-disable'));
    expect(await sent('PATCH', '/api/admin/users')).toEqual([]);
    const confirm = await screen.findByTestId('admin-confirm');
    expect(confirm.textContent).toContain('bob@example.com');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Confirm' }));
    await waitFor(async () => expect((await sent('PATCH', '/api/admin/users/bob')).map((r) => JSON.parse(r.body))).toEqual([{ disabled: true }]));
  });
});

describe('TasksTab', () => {
  const task = (id: string, status: string) => ({
    id, status, type: 'image', prompt: `prompt ${id}`, user_id: 'u1', email: 'u1@example.com', provider: 'sim', params: {},
    progress: 0, cost: { credits: 0, quota: 1 }, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  });

  it('filters by status and retries a failed task', async () => {
    server.use(
      http.get('/api/admin/tasks', ({ request }) => {
        const status = new URL(request.url).searchParams.get('status');
        const items = [task('t1', 'COMPLETED'), task('t2', 'FAILED')].filter((t) => !status || t.status === status);
        return HttpResponse.json({ items, next_cursor: null });
      }),
      http.post('/api/admin/tasks/:id/retry', ({ params }) => HttpResponse.json(task(String(params.id), 'PENDING'))),
    );
    renderWithProviders(<TasksTab />);
    await waitFor(() => expect(screen.getAllByTestId('admin-task-row')).toHaveLength(2));
    expect(screen.getAllByTestId('admin-task-retry')).toHaveLength(1); // only FAILED can be retried

    fireEvent.change(screen.getByTestId('admin-task-status'), { target: { value: 'FAILED' } });
    await waitFor(() => expect(screen.getAllByTestId('admin-task-row').map((r) => r.dataset.status)).toEqual(['FAILED']));

    fireEvent.click(screen.getByTestId('admin-task-retry'));
    await waitFor(async () => expect(await sent('POST', '/api/admin/tasks/t2/retry')).toHaveLength(1));
    expect(await screen.findByText('Task queued again.')).toBeTruthy();
  });
});

describe('OrdersTab', () => {
  it('refunds a paid order only after the confirmation', async () => {
    const order = { id: 'o1', user_id: 'u1', email: 'u1@example.com', package_id: 'starter', credits: 100, price_cents: 499,
      currency: 'usd', status: 'PAID', provider: 'sandbox', created_at: '2026-01-01T00:00:00Z' };
    server.use(
      http.get('/api/admin/orders', () => HttpResponse.json({ items: [order], next_cursor: null })),
      http.post('/api/admin/orders/:id/refund', () => HttpResponse.json({ ...order, status: 'REFUNDED' })),
    );
    renderWithProviders(<OrdersTab />);
    fireEvent.click(await screen.findByTestId('admin-order-refund'));
    const confirm = await screen.findByTestId('admin-refund-confirm');
    expect(await sent('POST', '/api/admin/orders')).toEqual([]);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Refund' }));
    await waitFor(async () => expect(await sent('POST', '/api/admin/orders/o1/refund')).toHaveLength(1));
  });
});

describe('SettingsTab', () => {
  it('saves the edited copy as the PUT body (numbers as numbers, untyped keys left out)', async () => {
    server.use(
      http.get('/api/admin/settings', () => HttpResponse.json(settings)),
      http.put('/api/admin/settings', async ({ request }) => {
        const body = (await request.json()) as { pricing: AdminSettings['pricing'] };
        return HttpResponse.json({ ...settings, pricing: body.pricing });
      }),
      http.get('/api/billing/packages', () => HttpResponse.json({ items: [] })),
      http.get('/api/auth/me', () => HttpResponse.json(user('admin', { role: 'admin' }))),
    );
    renderWithProviders(<SettingsTab />);
    const imageQuota = (await screen.findByTestId('settings-quotas-image')) as HTMLInputElement;
    expect(imageQuota.value).toBe('5');
    expect(screen.getByTestId('settings-gemini_api_key').closest('div')?.parentElement?.textContent).toContain('abcd');

    fireEvent.change(imageQuota, { target: { value: '12' } });
    fireEvent.change(screen.getByTestId('settings-openai_api_key'), { target: { value: ' sk-new ' } });
    fireEvent.click(screen.getByTestId('settings-save'));

    await waitFor(async () => expect(await sent('PUT', '/api/admin/settings')).toHaveLength(1));
    const [put] = await sent('PUT', '/api/admin/settings');
    const body = JSON.parse(put.body);
    expect(body.pricing.quotas).toEqual({ video: 1, image: 12, chat: 50 });
    expect(body.api_keys).toEqual({ openai_api_key: 'sk-new' });
    expect(body.packages).toEqual([{ id: 'starter', name: 'Starter', credits: 100, price_cents: 499, currency: 'usd' }]);
    // The saved copy replaces the draft: the typed key is cleared, the new quota stays.
    await waitFor(() => expect((screen.getByTestId('settings-openai_api_key') as HTMLInputElement).value).toBe(''));
    expect((screen.getByTestId('settings-quotas-image') as HTMLInputElement).value).toBe('12');
  });

  it('refuses a quota that is not a whole number, without sending anything', async () => {
    server.use(http.get('/api/admin/settings', () => HttpResponse.json(settings)));
    renderWithProviders(<SettingsTab />);
    fireEvent.change(await screen.findByTestId('settings-costs-video'), { target: { value: '1.5' } });
    fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(screen.getAllByRole('alert').map((e) => e.textContent)).toContain('video: Whole numbers from 0 to 10000.'));
    expect(await sent('PUT', '/api/admin/settings')).toEqual([]);
  });
});

describe('AuditTab', () => {
  it('shows who changed what, before → after', async () => {
    const page: AuditPage = {
      items: [{ id: 'a1', action: 'user.update', actor_id: 'u0', actor_email: 'root@example.com', target_type: 'user', target_id: 'u1',
        before: { credits: 10 }, after: { credits: 35 }, created_at: '2026-01-01T00:00:00Z' }],
      next_cursor: 'next-1',
    };
    server.use(http.get('/api/admin/audit', () => HttpResponse.json(page)));
    renderWithProviders(<AuditTab />);
    const table = await screen.findByTestId('admin-audit');
    expect(table.textContent).toContain('root@example.com');
    expect(table.textContent).toContain('credits: 10 → 35');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(async () => expect((await sent('GET', '/api/admin/audit')).map((r) => r.path)).toContain('/api/admin/audit?cursor=next-1'));
  });
});

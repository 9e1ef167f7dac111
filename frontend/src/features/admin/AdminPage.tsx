// The admin panel's shell: the tab list and the panel of the chosen tab. Each tab is its own
// component with its own `api.ts` (queries, mutations, query keys) in its folder.
import { useState, type ComponentType } from 'react';
import { PageHeader } from '../../components/ui/States';
import { cx } from '../../components/ui/cx';
import { useI18n, type MessageKey } from '../../i18n';
import { AuditTab } from './audit/AuditTab';
import { OrdersTab } from './orders/OrdersTab';
import { SettingsTab } from './settings/SettingsTab';
import { StatsTab } from './stats/StatsTab';
import { TasksTab } from './tasks/TasksTab';
import { useAdminText, type AdminTextKey } from './text';
import { UsersTab } from './users/UsersTab';

type Tab = 'stats' | 'users' | 'tasks' | 'orders' | 'settings' | 'audit';
const TABS: Record<Tab, ComponentType> = {
  stats: StatsTab,
  users: UsersTab,
  tasks: TasksTab,
  orders: OrdersTab,
  settings: SettingsTab,
  audit: AuditTab,
};
// Tabs whose label is in the app's catalogue; the others are in the admin texts.
const SHARED_LABEL: Partial<Record<Tab, MessageKey>> = {
  stats: 'admin.stats',
  users: 'admin.users',
  tasks: 'admin.tasks',
  settings: 'admin.settings',
};

export default function AdminPage() {
  const { t } = useI18n();
  const a = useAdminText();
  const [tab, setTab] = useState<Tab>('stats');
  const Panel = TABS[tab];
  return (
    <div>
      <PageHeader title={t('admin.title')} />
      <div role="tablist" aria-label={t('admin.title')} className="mb-4 flex flex-wrap gap-2">
        {(Object.keys(TABS) as Tab[]).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`admin-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`admin-panel-${name}`}
            onClick={() => setTab(name)}
            data-testid={`admin-tab-${name}`}
            className={cx(
              'rounded-xl px-4 py-2 text-sm transition active:scale-95',
              tab === name ? 'bg-white/10 text-white shadow-glow' : 'text-slate-400 hover:bg-white/5 hover:text-white',
            )}
          >
            {SHARED_LABEL[name] ? t(SHARED_LABEL[name]) : a(name as AdminTextKey)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        <Panel />
      </div>
    </div>
  );
}

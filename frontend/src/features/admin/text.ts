// Admin/billing strings the shared dictionaries (src/i18n, owned elsewhere) do not have yet.
// Same languages and {var} syntax; move them into en.ts/zh.ts when convenient.
import { useCallback } from 'react';
import { useI18n } from '../../i18n';

const en = {
  orders: 'Orders',
  audit: 'Audit',
  refund: 'Refund',
  refundConfirm: 'Refund this order? The credits are taken back (as many as the user still has).',
  refunded: 'Order refunded.',
  retried: 'Task queued again.',
  allStatuses: 'All statuses',
  allTypes: 'All types',
  filter: 'Filter',
  loadMore: 'Load more',
  empty: 'Nothing here yet.',
  pricing: 'Pricing',
  quotas: 'Free per day',
  costs: 'Credits per generation',
  packages: 'Credit packages',
  addPackage: 'Add package',
  remove: 'Remove',
  providers: 'Providers and models',
  cors: 'Extra CORS origins (one per line)',
  apiKeys: 'API keys (write-only)',
  keySet: 'set · …{last4}',
  keySetNoHint: 'set',
  keyUnset: 'not set',
  keyPlaceholder: 'leave empty to keep',
  saveSettings: 'Save settings',
  settingsHint: 'Changes apply to every function within 10 seconds.',
  users: 'Users',
  disabledUsers: 'Disabled users',
  revenue: 'Revenue',
  today: 'Generations today',
  tasksByStatus: 'Tasks by status',
  tasksByType: 'Tasks by type',
  ordersByStatus: 'Orders by status',
  notePrompt: 'Note for the audit log (optional):',
  who: 'Who',
  what: 'What',
  when: 'When',
  change: 'Change',
  orderPaid: 'Payment received: {n} credits were added.',
  orderPending: 'Waiting for the payment confirmation…',
  orderCanceled: 'Checkout canceled. You were not charged.',
  orderRefunded: 'This order was refunded.',
  integerError: 'Whole numbers from 0 to 10000.',
} as const;

export type AdminTextKey = keyof typeof en;

const zh: Record<AdminTextKey, string> = {
  orders: '订单',
  audit: '审计',
  refund: '退款',
  refundConfirm: '确定退款?将扣回该订单的积分(最多扣到用户现有余额)。',
  refunded: '已退款。',
  retried: '任务已重新排队。',
  allStatuses: '全部状态',
  allTypes: '全部类型',
  filter: '筛选',
  loadMore: '加载更多',
  empty: '暂无内容。',
  pricing: '价格',
  quotas: '每日免费额度',
  costs: '每次生成所需积分',
  packages: '积分套餐',
  addPackage: '添加套餐',
  remove: '删除',
  providers: '服务商与模型',
  cors: '额外的 CORS 来源(每行一个)',
  apiKeys: 'API 密钥(只写)',
  keySet: '已设置 · …{last4}',
  keySetNoHint: '已设置',
  keyUnset: '未设置',
  keyPlaceholder: '留空则保持不变',
  saveSettings: '保存设置',
  settingsHint: '更改会在 10 秒内对所有函数生效。',
  users: '用户数',
  disabledUsers: '已禁用用户',
  revenue: '收入',
  today: '今日生成',
  tasksByStatus: '任务(按状态)',
  tasksByType: '任务(按类型)',
  ordersByStatus: '订单(按状态)',
  notePrompt: '审计备注(可选):',
  who: '操作者',
  what: '操作',
  when: '时间',
  change: '变更',
  orderPaid: '支付成功:已增加 {n} 积分。',
  orderPending: '正在等待支付确认……',
  orderCanceled: '已取消支付,未扣款。',
  orderRefunded: '该订单已退款。',
  integerError: '请输入 0 到 10000 的整数。',
};

export function useAdminText(): (key: AdminTextKey, vars?: Record<string, string | number>) => string {
  const { lang } = useI18n();
  return useCallback(
    (key, vars) => {
      const template: string = (lang === 'zh' ? zh : en)[key];
      return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : template;
    },
    [lang],
  );
}

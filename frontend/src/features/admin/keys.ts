// The root of every admin query key: each tab's `api.ts` extends it, and a change that touches
// several tabs (a refund moves orders, credits and the audit log) invalidates it whole.
export const adminKeys = {
  all: ['admin'] as const,
};

// So that `npx playwright test <spec>` works from frontend/: the browser tier's config lives with its
// specs in tests/e2e/ (see the comment there; e.g. `npx playwright test chat.spec.mjs` against make dev).
export { default } from '../tests/e2e/playwright.config.mjs';

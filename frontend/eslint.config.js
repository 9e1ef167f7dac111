// ESLint flat config (issue #13): the recommended rule sets of @eslint/js, typescript-eslint and
// react-hooks, feature boundaries (import/no-restricted-paths) and no import cycles
// (import/no-cycle). `npm run lint`; `make test` runs it in the frontend-lint tier.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const features = readdirSync(new URL('./src/features', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

// What a feature deliberately shares with the others: its public surface. Anything else inside a
// feature folder is that feature's internals. (The rule matches `except` globs against absolute
// paths, unresolved, so they are made absolute here.)
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SHARED = [
  'media/{GenerateParts,ImageUpload}.*', // prompt, result canvas and uploads every generation page uses
  'creative/{CreativeControls,TaskActions,api,useSource}.*', // creative tools and their API on pages and task cards
  'gallery/TaskGrid.*', // the task grid the generation pages show (through media/GenerateParts)
  'billing/{api,money}.*', // billing's query keys (admin refreshes packages, account reads orders), price formatting
  'admin/text.*', // admin labels the account page reuses
].map((glob) => `${HERE}src/features/${glob}`);

// One zone per feature: it may import its own files, and from other features only SHARED.
const featureZones = features.map((name) => ({
  target: `./src/features/${name}/**`,
  from: [`./src/features/!(${name})/**`],
  except: SHARED,
  message: `features/${name} may use another feature only through what it shares (SHARED in eslint.config.js).`,
}));

const layerZones = [
  {
    target: ['./src/api', './src/i18n', './src/components/ui', './src/components/media'],
    from: './src/features',
    message: 'api, i18n, ui and media components are below features: they must not import from src/features.',
  },
  {
    // media (the generation pages' parts) shows gallery's task grid; gallery never reaches back.
    // What both need (MediaImage, formatEta) lives in src/components.
    target: './src/features/gallery',
    from: './src/features/media',
    message: 'features/gallery must not import features/media (media → gallery is the one direction); share through src/components.',
  },
  {
    // The app shell mounts the task watcher and its notices; nothing else of features.
    target: './src/components/layout',
    from: './src/features',
    except: ['./notifications'],
    message: 'layout components may import only features/notifications.',
  },
  {
    // Sign-out calls POST /api/auth/logout through the account API (lazily loaded).
    target: './src/hooks',
    from: './src/features',
    except: ['./account/api.ts'],
    message: 'hooks must not import from src/features (except the account API for sign-out).',
  },
];

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/api/generated.ts', 'src/api/zod.gen.ts'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { 'react-hooks': reactHooks, import: importPlugin },
    settings: {
      // Resolve relative imports to files, else no-restricted-paths silently skips them.
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.json'] } },
      // Parse imported TS files too, else no-cycle never follows an import into them.
      'import/extensions': ['.ts', '.tsx', '.js'],
      'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      ...reactHooks.configs['recommended-latest'].rules,
      'import/no-restricted-paths': ['error', { basePath: HERE, zones: [...layerZones, ...featureZones] }],
      // A cycle between modules (hence between features) fails the lint.
      'import/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['scripts/**/*.{js,mjs}', '*.config.{js,ts}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, globals: globals.node },
  },
);

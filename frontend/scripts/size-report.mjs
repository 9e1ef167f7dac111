// Prints the gzipped size of the JavaScript a first visit downloads: the
// entry script of dist/index.html plus its modulepreload links. Lazy route
// chunks are listed apart. Budget: 200 KB gzipped (issue #3).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const BUDGET_KB = 200;
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const initial = new Set();
for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) initial.add(m[1]);
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) initial.add(m[1]);
const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);

const gz = (rel) => gzipSync(readFileSync(join(dist, rel.replace(/^\//, '')))).length;
const kb = (n) => (n / 1024).toFixed(1).padStart(7) + ' KB';

let total = 0;
console.log('\nInitial JS (entry + modulepreload), gzipped:');
for (const file of initial) {
  const size = gz(file);
  total += size;
  console.log(`  ${kb(size)}  ${file}`);
}
console.log(`  ${kb(total)}  TOTAL initial JS (budget ${BUDGET_KB} KB)`);
for (const file of css) console.log(`  ${kb(gz(file))}  ${file} (css)`);

const lazy = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !initial.has(`/assets/${f}`));
const lazyTotal = lazy.reduce((sum, f) => sum + gz(`assets/${f}`), 0);
console.log(`  ${kb(lazyTotal)}  lazy route chunks (${lazy.length} files)\n`);

if (total / 1024 > BUDGET_KB) {
  console.error(`Initial JS is over budget: ${(total / 1024).toFixed(1)} KB > ${BUDGET_KB} KB`);
  process.exit(1);
}

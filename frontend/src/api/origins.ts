// Which deployable serves a path: read from routes.json at the repository root, the one
// path -> function table (the local router, nginx and Terraform read the same file).
import table from '../../../routes.json';

interface RouteRow {
  prefix: string;
  function: string;
  exact?: boolean;
  internal?: boolean;
}

const rows: RouteRow[] = [...(table.routes as RouteRow[])].sort(
  (a, b) => Number(Boolean(b.exact)) - Number(Boolean(a.exact)) || b.prefix.length - a.prefix.length,
);

function matches(row: RouteRow, path: string): boolean {
  if (row.exact) return path === row.prefix;
  return path === row.prefix.replace(/\/+$/, '') || path.startsWith(row.prefix);
}

/** The function serving `path` (query ignored): exact rows first, then the longest prefix, else the web app. */
export function functionForPath(path: string): string {
  const p = path.split('?')[0];
  return rows.find((row) => matches(row, p))?.function ?? table.default;
}

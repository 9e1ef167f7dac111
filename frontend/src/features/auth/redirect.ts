// Where to go after sign-in. Kept apart from the form schemas: the app shell imports it, and zod
// must stay out of the first download.

/** Only same-app paths are followed after sign-in (no open redirect through ?next=). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/video';
}

/** A connection URL fit for a message or a log line: its password replaced by ***; `fallback` when it does not parse. */
export function withoutPassword(url: string, fallback: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return fallback;
  }
}

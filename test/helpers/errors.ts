// Matching error messages exactly (STYLE.md §7: every check has a test that matches its message).

/** A RegExp matching exactly `text` (no metacharacters to escape by hand). */
export function exactly(text: string): RegExp {
  return new RegExp('^' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');
}

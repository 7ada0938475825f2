/** Why docker cannot send this user name as the `user` of `user:secret` basic auth, or `null`: a ':' splits it, a control character breaks headers and terminals. */
export function dockerUsernameProblem(username: string): string | null {
  if (username === '') return 'is empty';
  if (username.length > 255) return 'is longer than 255 characters';
  if (/[\p{Cc}:]/u.test(username)) return 'contains ":" or a control character';
  return null;
}

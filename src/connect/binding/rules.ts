// What the site accepts from a person filling in the binding and registration forms.

export type FieldProblem = { field: string; message: string };

export function checkUsername(username: string): FieldProblem | null {
  if (!/^[a-zA-Z0-9_.-]{3,32}$/.test(username)) {
    return { field: 'username', message: 'A username is 3 to 32 letters, digits, dots, dashes or underscores.' };
  }
  return null;
}

export function checkDisplayName(name: string): FieldProblem | null {
  if (name.trim().length === 0 || name.length > 100) return { field: 'displayName', message: 'A display name is 1 to 100 characters.' };
  return null;
}

export function checkPassword(password: string): FieldProblem | null {
  if (password.length < 8 || password.length > 1024) return { field: 'password', message: 'A password is at least 8 characters.' };
  return null;
}

/**
 * Where to go after logging in: a path on this site only. `//evil.example` and `/\evil.example`
 * are other sites to a browser, so anything that does not stay on our origin is dropped.
 */
export function safeReturnTo(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return null;
  const base = 'http://site.invalid';
  try {
    const url = new URL(value, base);
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : null;
  } catch {
    return null;
  }
}

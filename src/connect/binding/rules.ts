// What the site accepts from a person filling in the binding and registration forms.

import { isUsernameSyntax } from '../../lib/username.ts';

export type FieldProblem = { field: string; message: string };

export function checkUsername(username: string): FieldProblem | null {
  // The provider's rule for usernames, so that a name valid on one side is valid on the other.
  if (!isUsernameSyntax(username)) {
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

// Where to go after logging in: a path on this site only. One check for the provider and Connect;
// its contract, and why, are in src/lib/return-to.ts. (It answers undefined, no longer null, when refused.)
export { safeReturnTo } from '../../lib/return-to.ts';

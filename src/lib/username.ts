/**
 * A username as it is compared: Unicode compatibility forms folded (NFKC: a fullwidth ａｌｉｃｅ is
 * alice) and case folded (ALICE and Straße are alice and strasse), so that two accounts can never
 * differ only in case or in how a letter is encoded. The name itself is kept as its owner typed it;
 * this is what makes it unique, and what the login throttle counts against.
 */
export function usernameKey(username: string): string {
  // Upper then lower case approximates Unicode case folding (ß → SS → ss) without a table of our own.
  return username.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * What a new username may be, on the provider and on a Connect site: 3 to 32 ASCII letters, digits, `_`, `.` and `-`. The
 * consent page names an app's owner by username, so a username can never read as a sentence (such
 * as "the operator of this site") the way a free-text display name can.
 */
export function isUsernameSyntax(username: string): boolean {
  return /^[A-Za-z0-9_.-]{3,32}$/.test(username);
}

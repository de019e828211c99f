/** Where login returns to, to take a stored authorization request up again (see ./authorize.ts). */
export const continuePath = '/oauth2/authorize/continue';

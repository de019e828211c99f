/**
 * The Authorization header of HTTP Basic client authentication, as RFC 6749 §2.3.1 has it: the
 * client id and secret each form-urlencoded, then joined with a colon and base64-encoded. The one
 * helper every test uses for it.
 */
export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

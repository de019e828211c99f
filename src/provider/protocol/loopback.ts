/** Loopback hosts, where http is allowed and (RFC 8252 §7.3) the port may vary. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

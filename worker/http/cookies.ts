/**
 * @module
 * Reading and writing `__Host-` cookies: Secure, Path=/, no Domain, so no
 * other site nor a sibling subdomain can set or read them.
 */

/** The value of one cookie in a `Cookie` header, or undefined. */
export function cookieValue(cookieHeader: string | null | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * A `Set-Cookie` value: HttpOnly, Secure, Path=/. `Lax` for the customer's
 * session, so a visitor arriving from a search engine is recognised; forms
 * are protected by their CSRF token, not by SameSite alone.
 */
export function setCookie(name: string, value: string, options: { maxAgeSeconds: number; sameSite: 'Strict' | 'Lax' }): string {
  return `${name}=${value}; Path=/; HttpOnly; Secure; SameSite=${options.sameSite}; Max-Age=${options.maxAgeSeconds}`;
}

/** The `Set-Cookie` value that removes a cookie. */
export const clearCookie = (name: string, sameSite: 'Strict' | 'Lax' = 'Strict') => setCookie(name, '', { maxAgeSeconds: 0, sameSite });

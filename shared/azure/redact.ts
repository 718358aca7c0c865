/**
 * SAS tokens grant data access to whoever holds the URL, so they never reach a log. Azure answers
 * grantAccess with `accessSAS`/`securityDataAccessSAS` URLs, and blob URLs carry the token in the query.
 */
const SECRET_QUERY_KEYS = new Set(['sig', 'signature', 'code', 'client_secret', 'access_token', 'token']);

export function redactUrl(url: string): string {
  return url.replace(/([?&])([^=&#\s]+)=([^&#\s"']*)/g, (whole, sep: string, key: string) =>
    SECRET_QUERY_KEYS.has(key.toLowerCase()) ? `${sep}${key}=REDACTED` : whole,
  );
}

/** Redacts every URL query secret and SAS-bearing JSON property in free text (bodies, messages). */
export function redactText(text: string): string {
  return redactUrl(text).replace(
    /("(?:accessSAS|securityDataAccessSAS|accessSas|sasToken|sasUri|client_secret|access_token)"\s*:\s*")([^"]*)"/gi,
    '$1REDACTED"',
  );
}

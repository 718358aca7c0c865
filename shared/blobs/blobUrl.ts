import { redactUrl } from '../azure/redact';
import { InputError } from '../validation/inputError';

/** Hosts that carry the account in the path, not the host name (the emulator, Azure Stack by IP). */
export const IP_STYLE = /^(\d+\.){3}\d+$|^localhost$|^\[/;

/** Splits a blob URL into account, container and blob, or says which part is missing. */
export function parseBlobUrl(
  input: string,
  url: string,
): { accountName: string; container: string; blob: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(
      input,
      `'${redactUrl(url)}' is not a URL; give https://{account}.blob.core.windows.net/{container}/{blob}.vhd`,
    );
  }
  if (!/^https?:$/.test(parsed.protocol))
    throw new InputError(input, `'${redactUrl(url)}' is not an http(s) URL of a blob`);
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const ipStyle = IP_STYLE.test(parsed.hostname);
  const accountName = ipStyle ? segments.shift() : parsed.hostname.split('.')[0];
  const [container, ...blob] = segments;
  if (!accountName || !container || blob.length === 0) {
    throw new InputError(
      input,
      `'${redactUrl(url)}' does not name a storage account, a container and a blob`,
    );
  }
  return { accountName, container, blob: blob.join('/') };
}

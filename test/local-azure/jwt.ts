import * as crypto from 'node:crypto';

/* Minimal JWS RS256/PS256 for the local token issuers; the product never signs or parses tokens itself. */

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signJwt(
  payload: Record<string, unknown>,
  key: crypto.KeyObject,
  header: Record<string, unknown> = {},
): string {
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...header }));
  const body = base64url(JSON.stringify(payload));
  const signature = crypto.sign('sha256', Buffer.from(`${head}.${body}`), key);
  return `${head}.${body}.${base64url(signature)}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return undefined;
  }
}

export function verifyJwtSignature(jwt: DecodedJwt, key: crypto.KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  if (jwt.header.alg === 'RS256') return crypto.verify('sha256', data, key, jwt.signature);
  if (jwt.header.alg === 'PS256') {
    return crypto.verify(
      'sha256',
      data,
      {
        key,
        padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST,
      },
      jwt.signature,
    );
  }
  return false;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

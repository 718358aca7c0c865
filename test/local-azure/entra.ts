import * as crypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { formBody, json, type LocalAnswer, type LocalRequest, type RouteHandler } from './http';
import { decodeJwt, nowSeconds, signJwt, verifyJwtSignature } from './jwt';

type Principal =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; certificate: crypto.X509Certificate }
  | { kind: 'federated'; issuer: string; subjects: Set<string>; key: crypto.KeyObject }
  | { kind: 'managedIdentity' };

export interface IssuedTokenClaims {
  aud: string;
  tid: string;
  appid: string;
  oid: string;
  exp: number;
}

/**
 * Entra ID as @azure/identity (MSAL) talks to it: discovery, keys, and the v2 token endpoint for client
 * credentials with a secret, a certificate-signed assertion or a federated assertion. It refuses what Entra
 * refuses, with Entra's error codes, so a wrong secret fails here as it would in Azure.
 */
export class LocalEntra {
  readonly tenantId: string = randomUUID();
  /** A second directory (another company's): apps are in it only when added (a multi-tenant app's consent). */
  readonly secondTenantId: string = randomUUID();
  private readonly foreignMembers = new Set<string>();
  readonly key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly principals = new Map<string, Principal>();
  /** Every token request, for assertions (grant kind and client, never the secret). */
  readonly tokenRequests: { clientId: string; kind: string; ok: boolean; assertionId?: string }[] = [];

  constructor(private readonly baseUrl: () => string) {}

  addSecretPrincipal(clientId: string, secret: string): void {
    this.principals.set(clientId, { kind: 'secret', secret });
  }
  addCertificatePrincipal(clientId: string, certPem: string): void {
    this.principals.set(clientId, { kind: 'certificate', certificate: new crypto.X509Certificate(certPem) });
  }
  /** A federated credential trusts one issuer and subject (`sc://org/project/connection`); add one per connection. */
  addFederatedSubject(clientId: string, issuer: string, subject: string, key: crypto.KeyObject): void {
    const existing = this.principals.get(clientId);
    if (existing?.kind === 'federated') existing.subjects.add(subject);
    else this.principals.set(clientId, { kind: 'federated', issuer, subjects: new Set([subject]), key });
  }
  /** Registers an app of the home tenant in the second tenant too (its service principal there). */
  addToSecondTenant(clientId: string): void {
    this.foreignMembers.add(clientId);
  }

  private inTenant(clientId: string, tenant: string): boolean {
    return tenant === this.tenantId || (tenant === this.secondTenantId && this.foreignMembers.has(clientId));
  }

  addManagedIdentity(clientId: string): void {
    this.principals.set(clientId, { kind: 'managedIdentity' });
  }

  get authorityHost(): string {
    return `${this.baseUrl()}/`;
  }

  issueAccessToken(
    clientId: string,
    audience: string,
    lifetimeSeconds = 3600,
    tenant = this.tenantId,
  ): { token: string; exp: number } {
    const now = nowSeconds();
    const exp = now + lifetimeSeconds;
    const token = signJwt(
      {
        aud: audience,
        iss: `https://sts.windows.net/${tenant}/`,
        tid: tenant,
        appid: clientId,
        oid: clientId,
        sub: clientId,
        iat: now,
        nbf: now,
        exp,
      },
      this.key.privateKey,
      { kid: 'entra' },
    );
    return { token, exp };
  }

  /** Checks a bearer token as ARM does: our signature, not expired, the expected audience. */
  verifyAccessToken(
    token: string,
    audiences: string[],
  ): { ok: true; claims: IssuedTokenClaims } | { ok: false; why: string } {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, why: 'The access token is not a JWT.' };
    if (!verifyJwtSignature(jwt, this.key.publicKey))
      return { ok: false, why: 'The access token has an invalid signature.' };
    const claims = jwt.payload as unknown as IssuedTokenClaims;
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds()) {
      return { ok: false, why: 'The access token expiry UTC time is earlier than current UTC time.' };
    }
    const normal = (s: string) => s.replace(/\/+$/, '').toLowerCase();
    if (!audiences.map(normal).includes(normal(String(claims.aud)))) {
      return { ok: false, why: `The access token has an invalid audience '${String(claims.aud)}'.` };
    }
    if (claims.tid !== this.tenantId && claims.tid !== this.secondTenantId)
      return { ok: false, why: 'The access token is from the wrong issuer.' };
    return { ok: true, claims };
  }

  private error(status: number, error: string, code: number, description: string): LocalAnswer {
    return json(status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    });
  }

  readonly handle: RouteHandler = (req: LocalRequest) => {
    const m =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token)$/.exec(
        req.url.pathname,
      );
    if (!m) return undefined;
    const [, tenant, what] = m;
    if (tenant !== this.tenantId && tenant !== this.secondTenantId && tenant !== 'organizations') {
      return this.error(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    }
    const base = `${this.baseUrl()}/${tenant}`;
    if (what.startsWith('v2.0')) {
      return json(200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: 'EU',
      });
    }
    if (what.startsWith('discovery')) {
      const jwk = this.key.publicKey.export({ format: 'jwk' });
      return json(200, { keys: [{ ...jwk, kid: 'entra', use: 'sig', kty: 'RSA' }] });
    }
    if (req.method !== 'POST') return json(405, {});
    return this.token(req, `${base}/oauth2/v2.0/token`, tenant === 'organizations' ? this.tenantId : tenant);
  };

  private token(req: LocalRequest, tokenEndpoint: string, tenant: string): LocalAnswer {
    const form = formBody(req);
    const clientId = form.get('client_id') ?? '';
    if (form.get('grant_type') !== 'client_credentials') {
      return this.error(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const principal = this.principals.get(clientId);
    const record = (kind: string, ok: boolean) => this.tokenRequests.push({ clientId, kind, ok });
    if (!principal || principal.kind === 'managedIdentity' || !this.inTenant(clientId, tenant)) {
      record('unknown', false);
      return this.error(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (principal.kind === 'secret') {
      if (secret !== principal.secret) {
        record('secret', false);
        return this.error(
          401,
          'invalid_client',
          7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        );
      }
      record('secret', true);
    } else {
      const jwt = assertion ? decodeJwt(assertion) : undefined;
      if (!jwt) {
        record(principal.kind, false);
        return this.error(
          401,
          'invalid_client',
          7000216,
          "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        );
      }
      const p = jwt.payload;
      if (typeof p.exp !== 'number' || p.exp <= nowSeconds()) {
        record(principal.kind, false);
        return this.error(
          401,
          'invalid_client',
          700024,
          'Client assertion is not within its valid time range.',
        );
      }
      if (principal.kind === 'certificate') {
        const ok =
          verifyJwtSignature(jwt, principal.certificate.publicKey) &&
          p.aud === tokenEndpoint &&
          p.iss === clientId &&
          p.sub === clientId;
        if (!ok) {
          record('certificate', false);
          return this.error(
            401,
            'invalid_client',
            700027,
            'The certificate with identifier used to sign the client assertion is not registered on application or the signature is invalid.',
          );
        }
        record('certificate', true);
      } else {
        const ok =
          verifyJwtSignature(jwt, principal.key) &&
          p.iss === principal.issuer &&
          principal.subjects.has(String(p.sub)) &&
          p.aud === 'api://AzureADTokenExchange';
        if (!ok) {
          record('federated', false);
          return this.error(
            400,
            'invalid_client',
            700213,
            `No matching federated identity record found for presented assertion subject '${String(p.sub)}'.`,
          );
        }
        record('federated', true);
        this.tokenRequests[this.tokenRequests.length - 1].assertionId = String(p.jti);
      }
    }
    const scope = (form.get('scope') ?? '').split(' ').find((s) => s.endsWith('/.default'));
    if (!scope)
      return this.error(400, 'invalid_scope', 1002012, 'The provided value for scope is not valid.');
    const { token } = this.issueAccessToken(clientId, scope.slice(0, -'/.default'.length), 3600, tenant);
    return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  /** IMDS (managed identity) on plain HTTP, as on an Azure VM's link-local address. */
  readonly handleImds: RouteHandler = (req: LocalRequest) => {
    if (!req.url.pathname.startsWith('/metadata/identity/oauth2/token')) return undefined;
    if (req.headers.metadata !== 'true') {
      return json(400, {
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
    }
    const resource = req.url.searchParams.get('resource');
    if (!resource)
      return json(400, {
        error: 'invalid_request',
        error_description: 'Required audience parameter not specified',
      });
    const clientId = req.url.searchParams.get('client_id') ?? this.systemAssignedIdentity;
    const principal = this.principals.get(clientId);
    if (!principal || principal.kind !== 'managedIdentity') {
      return json(400, { error: 'invalid_request', error_description: 'Identity not found' });
    }
    const { token, exp } = this.issueAccessToken(clientId, resource.replace(/\/\.default$/, ''));
    return json(200, {
      access_token: token,
      client_id: clientId,
      expires_in: '3599',
      expires_on: String(exp),
      ext_expires_in: '3599',
      not_before: String(exp - 3600),
      resource,
      token_type: 'Bearer',
    });
  };

  readonly systemAssignedIdentity = randomUUID();
}

import { InputError } from '../validation/inputError';

export type AuthScheme = 'ServicePrincipal' | 'ManagedServiceIdentity' | 'WorkloadIdentityFederation';
export const AUTH_SCHEMES: readonly AuthScheme[] = [
  'ServicePrincipal',
  'ManagedServiceIdentity',
  'WorkloadIdentityFederation',
];

/** An Azure Resource Manager service connection, as the task read it from the agent. */
export interface AzureRmConnection {
  /** The connection's id or name, used in messages. */
  name: string;
  scheme: AuthScheme;
  tenantId: string;
  /** Service principal app id, or the client id of a user-assigned managed identity. */
  clientId?: string;
  clientSecret?: string;
  /** PEM with certificate and private key; kept in memory, never written to disk. */
  certificatePem?: string;
  subscriptionId: string;
  environment: string;
  resourceManagerUrl: string;
  authorityHost: string;
  audience: string;
  oidc?: { requestUri: string; serviceConnectionId: string; systemAccessToken: string };
}

/** Fails fast, naming the connection, before any sign-in is attempted. */
export function validateConnection(conn: AzureRmConnection): void {
  const fail = (why: string): never => {
    throw new InputError(conn.name, `service connection ${why}`);
  };
  if (!AUTH_SCHEMES.includes(conn.scheme)) {
    fail(
      `uses the authentication scheme '${conn.scheme}', which is not supported; use one of ${AUTH_SCHEMES.join(', ')}`,
    );
  }
  if (!conn.subscriptionId) fail('has no subscription id; edit the connection and choose a subscription');
  if (!/^[0-9a-f-]{36}$/i.test(conn.subscriptionId)) {
    fail(`has subscription id '${conn.subscriptionId}', which is not a GUID`);
  }
  if (conn.scheme !== 'ManagedServiceIdentity') {
    if (!conn.tenantId) fail('has no tenant id');
    if (!conn.clientId) fail('has no service principal (application) id');
  }
  if (conn.scheme === 'ServicePrincipal' && !conn.clientSecret && !conn.certificatePem) {
    fail('has neither a client secret nor a certificate; the secret may have been removed or has expired');
  }
  if (conn.scheme === 'WorkloadIdentityFederation') {
    if (!conn.oidc?.requestUri) {
      fail('uses workload identity federation but the job has no OIDC request URI (System.OidcRequestUri)');
    }
    if (!conn.oidc?.systemAccessToken) {
      fail(
        "uses workload identity federation but the job's access token is not available; allow scripts to access the OAuth token",
      );
    }
  }
}

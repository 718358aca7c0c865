import type { AccessToken, GetTokenOptions } from '@azure/core-auth';
import {
  AzurePipelinesCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import { validateConnection, type AzureRmConnection } from './serviceConnection';
import { KNOWN_CLOUDS } from './clouds';

/** Extra client options, e.g. `tlsOptions.ca` so tests trust the local Azure's certificate. */
export type CredentialClientOptions = Pick<
  TokenCredentialOptions,
  'tlsOptions' | 'retryOptions' | 'userAgentOptions'
>;

function isKnownAuthority(authorityHost: string): boolean {
  return Object.values(KNOWN_CLOUDS).some((c) => c.authorityHost === authorityHost.replace(/\/?$/, '/'));
}

/**
 * Turns a service connection into a credential. Workload identity federation uses AzurePipelinesCredential,
 * which asks Azure DevOps for a fresh OIDC assertion on every token request: a build or a replication that runs
 * for hours never holds an assertion past its 10-minute life, and nothing is written to disk.
 */
export function createCredential(
  conn: AzureRmConnection,
  clientOptions: CredentialClientOptions = {},
): TokenCredential {
  validateConnection(conn);
  return new ConnectionCredential(conn, credentialFor(conn, clientOptions));
}

/**
 * Says which connection, tenant and application a failed sign-in was for. MSAL's own text for an unknown
 * tenant is only "endpoints_resolution_error", which leaves a user nothing to check.
 */
class ConnectionCredential implements TokenCredential {
  constructor(
    private readonly conn: AzureRmConnection,
    private readonly inner: TokenCredential,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const hint = /endpoints_resolution_error|AADSTS90002/.test(reason)
        ? ` Entra ID at ${this.conn.authorityHost} does not know tenant '${this.conn.tenantId}': check the tenant id of the service connection.`
        : '';
      const who =
        this.conn.scheme === 'ManagedServiceIdentity'
          ? 'managed identity'
          : `application ${this.conn.clientId}`;
      throw new Error(
        `Sign-in with service connection ${this.conn.name} (${this.conn.scheme}, tenant ${this.conn.tenantId}, ${who}) failed: ${reason}${hint}`,
        { cause: e },
      );
    }
  }
}

function credentialFor(conn: AzureRmConnection, clientOptions: CredentialClientOptions): TokenCredential {
  const options = {
    ...clientOptions,
    authorityHost: conn.authorityHost,
    // Instance discovery asks a public Microsoft host about the authority; Azure Stack and private clouds
    // are not known there and the call fails after a long timeout.
    disableInstanceDiscovery: !isKnownAuthority(conn.authorityHost),
  };
  switch (conn.scheme) {
    case 'ServicePrincipal':
      if (conn.certificatePem) {
        return new ClientCertificateCredential(
          conn.tenantId,
          conn.clientId!,
          { certificate: conn.certificatePem },
          { ...options, sendCertificateChain: false },
        );
      }
      return new ClientSecretCredential(conn.tenantId, conn.clientId!, conn.clientSecret!, options);
    case 'ManagedServiceIdentity':
      return conn.clientId
        ? new ManagedIdentityCredential({ ...clientOptions, clientId: conn.clientId })
        : new ManagedIdentityCredential({ ...clientOptions });
    case 'WorkloadIdentityFederation':
      return new AzurePipelinesCredential(
        conn.tenantId,
        conn.clientId!,
        conn.oidc!.serviceConnectionId,
        conn.oidc!.systemAccessToken,
        options,
      );
    default: {
      const unknownScheme: never = conn.scheme;
      throw new Error(`Unsupported authentication scheme '${String(unknownScheme)}'`);
    }
  }
}

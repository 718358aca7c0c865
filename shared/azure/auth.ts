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

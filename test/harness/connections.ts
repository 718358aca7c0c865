// Service connections and ready library contexts for the local Azure. They live here, not in the local Azure: the
// stand-in knows only the wire contract (ids, secrets, endpoints); the product's types are the harness's business.
import { createCredential } from '../../shared/azure/auth';
import type { AzureContext } from '../../shared/azure/context';
import { silentLogger, type Logger } from '../../shared/azure/logger';
import type { AzureRmConnection } from '../../shared/azure/serviceConnection';
import type { LocalAzure } from '../local-azure/index';

export type ConnectionKind = 'secret' | 'certificate' | 'managedIdentity' | 'federated';
/** `second`: a connection of the local Azure's second tenant, to its subscription there. */
export type ConnectionTenant = 'home' | 'second';
export const CONNECTION_KINDS: ConnectionKind[] = ['secret', 'certificate', 'managedIdentity', 'federated'];

/** The connection a task would read from the agent, for one of the local Azure's principals. */
export function localConnection(
  local: LocalAzure,
  kind: ConnectionKind,
  id = `local-azure-${kind}`,
  tenant: ConnectionTenant = 'home',
): AzureRmConnection {
  const foreign = tenant === 'second';
  if (foreign) {
    // The same (multi-tenant) app, consented in the partner's tenant: one connection per tenant, as in Azure DevOps.
    const p = local.principals;
    const clientId = {
      secret: p.secret.clientId,
      certificate: p.certificate.clientId,
      federated: p.federated.clientId,
      managedIdentity: p.managedIdentity.clientId,
    }[kind];
    local.entra.addToSecondTenant(clientId);
  }
  const base = {
    name: `ConnectedServiceName (${id})`,
    tenantId: foreign ? local.secondTenantId : local.tenantId,
    subscriptionId: foreign ? local.foreignSubscriptionId : local.subscriptionId,
    environment: 'AzureStack',
    resourceManagerUrl: local.audience,
    authorityHost: local.authorityHost,
    audience: local.audience,
  };
  const p = local.principals;
  switch (kind) {
    case 'secret':
      return {
        ...base,
        scheme: 'ServicePrincipal',
        clientId: p.secret.clientId,
        clientSecret: p.secret.clientSecret,
      };
    case 'certificate':
      return {
        ...base,
        scheme: 'ServicePrincipal',
        clientId: p.certificate.clientId,
        certificatePem: p.certificate.certificatePem,
      };
    case 'managedIdentity':
      return { ...base, scheme: 'ManagedServiceIdentity', clientId: p.managedIdentity.clientId };
    case 'federated':
      // Entra trusts the job's OIDC token for this service connection only, as a federated credential does.
      local.entra.addFederatedSubject(
        p.federated.clientId,
        local.devops.issuer,
        local.devops.subjectFor(id),
        local.devops.key.publicKey,
      );
      return {
        ...base,
        scheme: 'WorkloadIdentityFederation',
        clientId: p.federated.clientId,
        oidc: {
          requestUri: local.devops.requestUri,
          serviceConnectionId: id,
          systemAccessToken: local.devops.jobAccessToken,
        },
      };
  }
}

/** The ENDPOINT_* and SYSTEM_* variables the agent gives a task for that connection. */
export function serviceConnectionEnv(
  local: LocalAzure,
  kind: ConnectionKind,
  id = `local-azure-${kind}`,
  tenant: ConnectionTenant = 'home',
): Record<string, string> {
  const conn = localConnection(local, kind, id, tenant);
  const params: Record<string, string> = { tenantid: conn.tenantId };
  if (conn.clientId) params.serviceprincipalid = conn.clientId;
  if (kind === 'secret')
    Object.assign(params, { authenticationType: 'spnKey', serviceprincipalkey: conn.clientSecret! });
  if (kind === 'certificate') {
    Object.assign(params, {
      authenticationType: 'spnCertificate',
      servicePrincipalCertificate: conn.certificatePem!,
    });
  }
  if (kind === 'federated') {
    Object.assign(params, {
      workloadIdentityFederationIssuer: local.devops.issuer,
      workloadIdentityFederationSubject: local.devops.subjectFor(id),
    });
  }
  const data: Record<string, string> = {
    subscriptionId: conn.subscriptionId,
    subscriptionName: tenant === 'second' ? 'Partner company' : 'Local Azure images',
    environment: 'AzureStack',
    environmentAuthorityUrl: local.authorityHost,
    activeDirectoryServiceEndpointResourceId: local.audience,
    scopeLevel: 'Subscription',
  };
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: local.audience,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: params, scheme: conn.scheme }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: conn.scheme,
    NODE_EXTRA_CA_CERTS: local.caCertPath,
    SYSTEM_OIDCREQUESTURI: local.devops.requestUri,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({
      parameters: { AccessToken: local.devops.jobAccessToken },
      scheme: 'OAuth',
    }),
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: local.devops.jobAccessToken,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: local.imdsUrl,
  };
  for (const [k, v] of Object.entries(params)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${k.toUpperCase()}`] = v;
  return env;
}

/** A ready AzureContext for library tests (secret principal unless told otherwise). */
export function localContext(
  local: LocalAzure,
  options: { kind?: ConnectionKind; logger?: Logger; httpDebug?: boolean; tenant?: ConnectionTenant } = {},
): AzureContext {
  const kind = options.kind ?? 'secret';
  if (kind === 'managedIdentity') process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = local.imdsUrl;
  if (kind === 'federated') process.env.SYSTEM_OIDCREQUESTURI = local.devops.requestUri;
  const conn = localConnection(local, kind, undefined, options.tenant);
  return {
    credential: createCredential(conn, { tlsOptions: { ca: local.caCertPem } }),
    subscriptionId: conn.subscriptionId,
    resourceManagerUrl: conn.resourceManagerUrl,
    audience: conn.audience,
    userAgentPrefix: 'VMImageLifecycle-tests/0',
    logger: options.logger ?? silentLogger,
    httpDebug: options.httpDebug,
    pollIntervalMs: 20,
    trustedCaPem: local.caCertPem,
  };
}

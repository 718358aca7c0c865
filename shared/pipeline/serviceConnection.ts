import * as tl from 'azure-pipelines-task-lib/task';
import { InputError } from '../validation/inputError';
import { resolveCloud } from '../azure/clouds';
import {
  AUTH_SCHEMES,
  validateConnection,
  type AuthScheme,
  type AzureRmConnection,
} from '../azure/serviceConnection';

/**
 * Reads the AzureRM service connection the agent passed to the task (ENDPOINT_* variables) and registers
 * every secret with the agent before anything can print it.
 */
export async function readAzureRmConnection(inputName = 'ConnectedServiceName'): Promise<AzureRmConnection> {
  const id = tl.getInput(inputName, false)?.trim();
  if (!id)
    throw new InputError(inputName, 'is required: choose an Azure Resource Manager service connection');
  const name = `${inputName} (${id})`;
  const scheme = tl.getEndpointAuthorizationScheme(id, true);
  if (!scheme) {
    throw new InputError(
      name,
      'service connection was not found or the pipeline is not authorized to use it',
    );
  }
  const auth = (key: string) => {
    const value = tl.getEndpointAuthorizationParameter(id, key, true);
    if (value) tl.setSecret(value);
    return value || undefined;
  };
  const data = (key: string) => tl.getEndpointDataParameter(id, key, true) || undefined;
  if (!AUTH_SCHEMES.includes(scheme as AuthScheme)) {
    throw new InputError(
      name,
      `service connection uses the authentication scheme '${scheme}', which is not supported; use one of ${AUTH_SCHEMES.join(', ')}`,
    );
  }
  const authenticationType = tl.getEndpointAuthorizationParameter(id, 'authenticationType', true) ?? 'spnKey';
  const cloud = await resolveCloud({
    environment: data('environment'),
    url: tl.getEndpointUrl(id, true),
    authorityUrl: data('environmentAuthorityUrl') ?? data('activeDirectoryAuthority'),
    audience: data('activeDirectoryServiceEndpointResourceId'),
  }).catch((e: Error) => {
    throw new InputError(name, `service connection's cloud could not be resolved: ${e.message}`);
  });
  const conn: AzureRmConnection = {
    name,
    scheme: scheme as AuthScheme,
    tenantId: tl.getEndpointAuthorizationParameter(id, 'tenantid', true) ?? '',
    clientId: tl.getEndpointAuthorizationParameter(id, 'serviceprincipalid', true) || undefined,
    subscriptionId: data('subscriptionId') ?? '',
    environment: cloud.name,
    resourceManagerUrl: cloud.resourceManagerUrl,
    authorityHost: cloud.authorityHost,
    audience: cloud.audience,
  };
  if (conn.scheme === 'ServicePrincipal') {
    if (authenticationType === 'spnCertificate') conn.certificatePem = auth('servicePrincipalCertificate');
    else conn.clientSecret = auth('serviceprincipalkey');
  }
  if (conn.scheme === 'WorkloadIdentityFederation') {
    const systemAccessToken =
      tl.getEndpointAuthorizationParameter('SystemVssConnection', 'AccessToken', true) ??
      tl.getVariable('System.AccessToken');
    if (systemAccessToken) tl.setSecret(systemAccessToken);
    conn.oidc = {
      requestUri: tl.getVariable('System.OidcRequestUri') ?? '',
      serviceConnectionId: id,
      systemAccessToken: systemAccessToken ?? '',
    };
  }
  validateConnection(conn);
  return conn;
}

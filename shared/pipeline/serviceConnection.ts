import * as tl from 'azure-pipelines-task-lib/task';
import { InputError } from '../validation/inputError';
import { registerSecret } from './secrets';
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
  // tl.getEndpointAuthorizationParameter writes the value to the debug log; the parsed authorization object
  // does not, and every value taken from it is registered as a secret before anything else runs.
  const parameters = lowerCaseKeys(tl.getEndpointAuthorization(id, true)?.parameters ?? {});
  const auth = (key: string) => {
    const value = parameters[key.toLowerCase()];
    registerSecret(value);
    return value || undefined;
  };
  const param = (key: string) => parameters[key.toLowerCase()] || undefined;
  const data = (key: string) => tl.getEndpointDataParameter(id, key, true) || undefined;
  if (!AUTH_SCHEMES.includes(scheme as AuthScheme)) {
    throw new InputError(
      name,
      `service connection uses the authentication scheme '${scheme}', which is not supported; use one of ${AUTH_SCHEMES.join(', ')}`,
    );
  }
  const authenticationType = param('authenticationType') ?? 'spnKey';
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
    tenantId: param('tenantid') ?? '',
    clientId: param('serviceprincipalid'),
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
      lowerCaseKeys(tl.getEndpointAuthorization('SystemVssConnection', true)?.parameters ?? {}).accesstoken ??
      process.env.SYSTEM_ACCESSTOKEN;
    registerSecret(systemAccessToken);
    conn.oidc = {
      requestUri: process.env.SYSTEM_OIDCREQUESTURI ?? '',
      serviceConnectionId: id,
      systemAccessToken: systemAccessToken ?? '',
    };
  }
  validateConnection(conn);
  return conn;
}

function lowerCaseKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

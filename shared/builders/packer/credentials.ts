import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { AzureRmConnection } from '../../azure/serviceConnection';
import { InputError } from '../../validation/inputError';
import { CREDENTIAL_ENV, type PackerAuth } from './builtinTemplate';

export interface PackerCredentials {
  auth: PackerAuth;
  /** Environment of the packer process only: the ARM_* variables the built-in template reads. */
  env: Record<string, string>;
  /** Values to mask in every log line. */
  secrets: string[];
  /** When a federated token stops working: packer cannot ask for a new one, so a longer build cannot sign in again. */
  expiresOn?: Date;
}

function expiryOf(token: string): Date | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: number;
    };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The federated token of a workload identity connection, asked of Azure DevOps as AzurePipelinesCredential asks
 * it: packer takes it as `client_jwt` (a client assertion, RFC 7523), so it signs in as the connection does.
 */
export async function federatedToken(
  oidc: NonNullable<AzureRmConnection['oidc']>,
  options: { caPem?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const url = new URL(oidc.requestUri);
  url.searchParams.set('api-version', '7.1');
  url.searchParams.set('serviceConnectionId', oidc.serviceConnectionId);
  const request = createPipelineRequest({
    url: url.toString(),
    method: 'POST',
    headers: createHttpHeaders({
      Authorization: `Bearer ${oidc.systemAccessToken}`,
      'Content-Type': 'application/json',
    }),
    abortSignal: options.signal,
    tlsSettings: options.caPem ? { ca: options.caPem } : undefined,
  });
  const response = await createDefaultHttpClient().sendRequest(request);
  const token =
    response.status === 200
      ? (JSON.parse(response.bodyAsText ?? '{}') as { oidcToken?: string }).oidcToken
      : undefined;
  if (!token)
    throw new Error(
      `Azure DevOps gave no federated token for service connection ${oidc.serviceConnectionId} (HTTP ${response.status}); is the pipeline allowed to use it?`,
    );
  return token;
}

/** What packer signs in with, by the connection's scheme; certificate connections have no env-only form. */
export async function packerCredentials(
  conn: AzureRmConnection,
  options: { caPem?: string; signal?: AbortSignal } = {},
): Promise<PackerCredentials> {
  const base = { [CREDENTIAL_ENV.subscription_id]: conn.subscriptionId };
  switch (conn.scheme) {
    case 'ServicePrincipal':
      if (!conn.clientSecret)
        throw new InputError(
          conn.name,
          'Packer signs in through environment variables only, and a certificate would have to be written to disk for it: use a service connection with workload identity federation (recommended) or a secret',
        );
      return {
        auth: 'secret',
        env: {
          ...base,
          [CREDENTIAL_ENV.client_id]: conn.clientId!,
          [CREDENTIAL_ENV.client_secret]: conn.clientSecret,
          [CREDENTIAL_ENV.tenant_id]: conn.tenantId,
        },
        secrets: [conn.clientSecret],
      };
    case 'WorkloadIdentityFederation': {
      const token = await federatedToken(conn.oidc!, options);
      return {
        auth: 'jwt',
        env: {
          ...base,
          [CREDENTIAL_ENV.client_id]: conn.clientId!,
          [CREDENTIAL_ENV.client_jwt]: token,
          [CREDENTIAL_ENV.tenant_id]: conn.tenantId,
        },
        secrets: [token],
        expiresOn: expiryOf(token),
      };
    }
    case 'ManagedServiceIdentity':
      return { auth: 'managedIdentity', env: base, secrets: [] };
  }
}

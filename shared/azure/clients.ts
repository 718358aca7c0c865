import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { auxiliaryAuthenticationHeaderPolicy } from '@azure/core-rest-pipeline';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { createStorageManagement, type StorageManagementContext } from '@azure/arm-storage/api';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { EventGridManagementClient } from '@azure/arm-eventgrid';
import { ImageBuilderClient } from '@azure/arm-imagebuilder';
import type { AzureContext } from './context';
import { httpLogPolicy } from './httpLogPolicy';

/** Options every ARM client of this product is built with. */
export function armClientOptions(ctx: AzureContext) {
  const base = ctx.resourceManagerUrl.replace(/\/+$/, '');
  return {
    endpoint: base,
    // The token audience is the cloud's, not a default of the SDK's: arm-compute 25 asks for
    // management.azure.com unless told, which sovereign clouds and Azure Stack refuse.
    credentials: { scopes: [`${ctx.audience.replace(/\/+$/, '')}/.default`] },
    userAgentOptions: { userAgentPrefix: ctx.userAgentPrefix },
    retryOptions: { maxRetries: 5, retryDelayInMs: 800, maxRetryDelayInMs: 30_000 },
    tlsOptions: ctx.trustedCaPem ? { ca: ctx.trustedCaPem } : undefined,
    additionalPolicies: [
      ...(ctx.auxiliaryCredentials?.length
        ? [
            {
              policy: auxiliaryAuthenticationHeaderPolicy({
                credentials: ctx.auxiliaryCredentials,
                scopes: `${ctx.audience.replace(/\/+$/, '')}/.default`,
              }),
              position: 'perCall' as const,
            },
          ]
        : []),
      ...(ctx.httpDebug ? [{ policy: httpLogPolicy(ctx.logger), position: 'perRetry' as const }] : []),
    ],
  };
}

export function computeClient(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): ComputeManagementClient {
  return new ComputeManagementClient(ctx.credential, subscriptionId, armClientOptions(ctx));
}

/** Options for long-running operations: poll interval and cancellation. */
export function lroOptions(ctx: AzureContext) {
  return { updateIntervalInMs: ctx.pollIntervalMs ?? 5_000, abortSignal: ctx.abortSignal };
}

/**
 * Options for storage clients (through a SAS or the connection's token): same user agent, retries, and the
 * context's extra certificate authorities. storage-blob hands options it does not declare on to its core
 * pipeline, whose `tlsOptions` is what the ARM clients use too.
 */
export function storageClientOptions(ctx: AzureContext): StoragePipelineOptions {
  const options = {
    userAgentOptions: { userAgentPrefix: ctx.userAgentPrefix },
    retryOptions: { maxTries: 5, retryDelayInMs: 800, maxRetryDelayInMs: 30_000 },
    ...(ctx.trustedCaPem ? { tlsOptions: { ca: ctx.trustedCaPem } } : {}),
  };
  return options;
}

/**
 * Options for the older client generation (authorization, Event Grid), which reads `credentialScopes` instead
 * of `credentials.scopes`: the same pipeline settings as every other client.
 */
function legacyClientOptions(ctx: AzureContext) {
  const options = armClientOptions(ctx);
  return { ...options, credentialScopes: options.credentials.scopes };
}

/** Role assignments (Microsoft.Authorization), with the same pipeline settings as the compute client. */
export function authorizationClient(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): AuthorizationManagementClient {
  return new AuthorizationManagementClient(ctx.credential, subscriptionId, legacyClientOptions(ctx));
}

/** Event Grid management (topics, system topics, event subscriptions), same pipeline settings. */
export function eventGridClient(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): EventGridManagementClient {
  return new EventGridManagementClient(ctx.credential, subscriptionId, legacyClientOptions(ctx));
}

/** Storage accounts through ARM (modular client: only the operations used are bundled), same pipeline settings. */
export function storageManagement(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): StorageManagementContext {
  return createStorageManagement(ctx.credential, subscriptionId, armClientOptions(ctx));
}

/** Virtual networks, subnets, NSGs and NICs (SmokeTestImage's temporary network), same pipeline settings. */
export function networkClient(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): NetworkManagementClient {
  return new NetworkManagementClient(ctx.credential, subscriptionId, armClientOptions(ctx));
}

/** Azure VM Image Builder (image templates, runs, run outputs), same pipeline settings. */
export function imageBuilderClient(
  ctx: AzureContext,
  subscriptionId = ctx.subscriptionId,
): ImageBuilderClient {
  return new ImageBuilderClient(ctx.credential, subscriptionId, armClientOptions(ctx));
}

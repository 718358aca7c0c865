import { randomUUID } from 'node:crypto';
import { resourceBody } from '../store';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.ManagedIdentity/userAssignedIdentities, shaped on ManagedIdentity.json (2024-11-30): a synchronous
 * create (200/201) that hands out tenantId, principalId and clientId. Each identity becomes a principal of the
 * local Entra ID, so a service acting as it (the local Image Builder distributing an image) gets real tokens.
 */
export function userAssignedIdentitiesProvider(
  tenantId: string,
  onCreated: (clientId: string) => void,
): ResourceTypeSpec {
  return {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    asyncCreate: false,
    asyncDelete: false,
    write(ctx) {
      if (ctx.existing) return { ...ctx.existing, tags: ctx.body.tags as Record<string, string> | undefined };
      const clientId = randomUUID();
      onCreated(clientId);
      return {
        ...trackedResource(ctx),
        properties: { isolationScope: 'None', tenantId, principalId: randomUUID(), clientId },
      };
    },
    // Identities have no provisioningState (the spec's properties are closed): the engine's bookkeeping stays out.
    present(r) {
      const properties = { ...r.properties };
      delete properties.provisioningState;
      return { ...resourceBody(r), properties };
    },
  };
}

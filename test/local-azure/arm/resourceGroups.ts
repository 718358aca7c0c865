import { jsonBody, type LocalAnswer, type LocalRequest } from '../http';
import { ArmError, armErrors } from './errors';
import { regionName } from './regions';
import type { OperationEngine } from './operations';
import type { ResourceTypeSpec } from './providers/types';
import { listAnswer, resourceBody, type ResourceStore, type StoredResource } from './store';

export function resourceGroupId(sub: string, rg: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}`;
}

interface ResourceGroupDeps {
  store: ResourceStore;
  operations: OperationEngine;
  typeSpec: (type: string) => ResourceTypeSpec | undefined;
  baseUrl: () => string;
  operationDelayMs: number;
  retryAfterSeconds: number;
}

/**
 * Microsoft.Resources/resourceGroups at subscription scope, shaped on the resources spec: create or update (201 or
 * 200), get, HEAD, list, the resources in a group, and an asynchronous delete that removes everything inside.
 */
export class ResourceGroups {
  constructor(private readonly deps: ResourceGroupDeps) {}

  list(sub: string): LocalAnswer {
    return listAnswer(
      this.deps.store
        .all()
        .filter(
          (r) =>
            r.type === 'Microsoft.Resources/resourceGroups' &&
            r.id.toLowerCase().startsWith(`/subscriptions/${sub}/`.toLowerCase()),
        ),
    );
  }

  handle(req: LocalRequest, sub: string, rg: string, rest: string[]): LocalAnswer {
    const id = resourceGroupId(sub, rg);
    const existing = this.deps.store.get(id);
    if (rest.length > 0) {
      if (rest[0].toLowerCase() === 'resources' && req.method === 'GET') {
        if (!existing) throw armErrors.resourceGroupNotFound(rg);
        return listAnswer(this.deps.store.descendants(existing.id));
      }
      throw new ArmError(
        404,
        'InvalidResourceType',
        `The resource path '${req.url.pathname}' is not supported.`,
      );
    }
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        if (!existing) {
          if (req.method === 'HEAD') return { status: 404 };
          throw armErrors.resourceGroupNotFound(rg);
        }
        return req.method === 'HEAD' ? { status: 204 } : { status: 200, body: resourceBody(existing) };
      case 'PUT': {
        const body = (jsonBody(req) ?? {}) as { location?: string; tags?: Record<string, string> };
        if (!body.location)
          throw armErrors.invalidParameter(
            "The 'location' property is required for a resource group.",
            'location',
          );
        if (!/^[-\w._()]{1,90}$/.test(rg) || rg.endsWith('.')) {
          throw new ArmError(
            400,
            'InvalidResourceGroup',
            `The provided resource group name '${rg}' has these invalid characters.`,
          );
        }
        const location = regionName(body.location);
        if (!location) {
          throw new ArmError(
            400,
            'LocationNotAvailableForResourceType',
            `The provided location '${body.location}' is not available for resource type 'Microsoft.Resources/resourceGroups'.`,
          );
        }
        if (existing && existing.location !== location) {
          throw new ArmError(
            409,
            'InvalidResourceGroupLocation',
            `Invalid resource group location '${body.location}'. The Resource group already exists in location '${existing.location}'.`,
          );
        }
        const resource: StoredResource = {
          id: existing?.id ?? id,
          name: existing?.name ?? rg,
          type: 'Microsoft.Resources/resourceGroups',
          location,
          tags: body.tags ?? existing?.tags,
          properties: { provisioningState: 'Succeeded' },
          preexisting: existing?.preexisting,
        };
        this.deps.store.put(resource);
        return { status: existing ? 200 : 201, body: resourceBody(resource) };
      }
      case 'DELETE': {
        if (!existing) throw armErrors.resourceGroupNotFound(rg);
        existing.properties.provisioningState = 'Deleting';
        const op = this.deps.operations.start({
          kind: 'delete',
          resourceId: existing.id,
          finishAt: Date.now() + this.deps.operationDelayMs,
          complete: () => {
            for (const child of this.deps.store.descendants(existing.id)) {
              this.deps.store.delete(child.id);
              this.deps.typeSpec(child.type)?.onDeleted?.(child, this.deps.store);
            }
            this.deps.store.delete(existing.id);
          },
        });
        const headers: Record<string, string> = {
          Location: `${this.deps.baseUrl()}/subscriptions/${sub}/operationresults/${op.id}?api-version=${encodeURIComponent(req.url.searchParams.get('api-version') ?? '')}`,
        };
        if (this.deps.retryAfterSeconds > 0) headers['Retry-After'] = String(this.deps.retryAfterSeconds);
        return { status: 202, headers };
      }
      default:
        throw new ArmError(405, 'MethodNotAllowed', `The HTTP method '${req.method}' is not supported.`);
    }
  }
}

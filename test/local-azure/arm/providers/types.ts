import type { ArmError } from '../errors';
import type { ResourceStore, StoredResource } from '../store';

/*
 * How a resource provider plugs into the local ARM. One `ResourceTypeSpec` per resource type; the engine
 * does routing, existence of subscription / resource group / parent, long-running semantics, errors and
 * listing. A provider only says how a request body becomes a stored resource and what Azure refuses.
 *
 *   write(ctx)        build the resource from a PUT/PATCH body (ctx.existing set on update); throw ArmError
 *   beforeDelete(ctx) throw ArmError to refuse a delete (nested resources, in use, locks)
 *   onProvisioned(r)  the create/update operation finished: set state that appears only then
 *   actions[name]     POST {id}/{name}: answer at once ({ body }) or as a long-running operation ({ async })
 *   operationMs       how long this type's operations take (default: the engine's operationDelayMs)
 *   writeOperation(r) per-write timing of the create/update operation (replication that takes minutes)
 *   present(r, query) the body a GET answers, e.g. state shown only with $expand
 */
export interface WriteContext {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  body: Record<string, unknown>;
  existing?: StoredResource;
  store: ResourceStore;
  /** The parent resource for nested types. */
  parent?: StoredResource;
  /** Tenants the caller may reach: its token's, plus those of its auxiliary tokens. */
  linkedTenants: string[];
  tenantOf(subscriptionId: string): string | undefined;
}

export interface ActionContext {
  resource: StoredResource;
  body: Record<string, unknown>;
  store: ResourceStore;
  baseUrl: string;
}

export type ActionAnswer =
  | { status?: number; body?: unknown }
  | {
      async: {
        durationMs?: number;
        complete: () => unknown;
        error?: { code: string; message: string };
        /** The body of the 202 itself, where the operation's spec declares one (gallery sharing: SharingUpdate). */
        acceptedBody?: unknown;
        /** Work that ends when it ends (an image build): the operation waits for it as well as for the duration. */
        until?: () => { done: boolean; error?: { code: string; message: string } };
      };
    };

export interface ResourceTypeSpec {
  /** Full type, e.g. `Microsoft.Compute/galleries/images`. */
  type: string;
  asyncCreate: boolean;
  /** Status of an asynchronous create, as the type's spec declares it: 201 (default) or 202 (disks, snapshots). */
  createStatus?: 201 | 202;
  /** Status of an asynchronous update of an existing resource: 200 (default), or 201 where the spec has only that. */
  updateStatus?: 200 | 201;
  asyncDelete: boolean;
  operationMs?: number;
  write(ctx: WriteContext): StoredResource | Promise<StoredResource>;
  beforeDelete?(ctx: { resource: StoredResource; store: ResourceStore }): void | Promise<void>;
  onProvisioned?(resource: StoredResource, store: ResourceStore): void;
  onDeleted?(resource: StoredResource, store: ResourceStore): void;
  actions?: Record<string, (ctx: ActionContext) => ActionAnswer | Promise<ActionAnswer>>;
  writeOperation?(
    resource: StoredResource,
    store: ResourceStore,
  ): {
    durationMs: number;
    advance?: (now: number) => void;
    error?: { code: string; message: string };
    until?: () => { done: boolean; error?: { code: string; message: string } };
  };
  present?(resource: StoredResource, query: URLSearchParams): Record<string, unknown>;
  /** GET /subscriptions/{id}/providers/{type}: a catalogue rather than stored resources (resource SKUs). */
  subscriptionList?(): unknown[];
  /** GET {id}/{name}: read-only views of a resource (a VM's instanceView). */
  views?: Record<string, (resource: StoredResource, query: URLSearchParams) => unknown>;
}

export type ArmErrorFactory = (...args: string[]) => ArmError;

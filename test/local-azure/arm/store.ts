/** A resource as ARM returns it. `properties` keeps provider-specific state, including provisioningState. */
export interface StoredResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  /** Top-level fields some types carry (sku, identity, zones, managedBy, ...). */
  extra?: Record<string, unknown>;
  /** Resources made by the local Azure itself (pre-created groups); audit can leave them out. */
  preexisting?: boolean;
  /** The local Azure's own bookkeeping (where bytes live, a running VM): never part of an answer. */
  internal?: Record<string, unknown>;
}

export function resourceBody(r: StoredResource): Record<string, unknown> {
  const body: Record<string, unknown> = { id: r.id, name: r.name, type: r.type };
  if (r.location) body.location = r.location;
  if (r.tags) body.tags = r.tags;
  Object.assign(body, r.extra ?? {});
  body.properties = r.properties;
  return body;
}

/** ARM's list answer: `{ value: [...] }` (one page: the local Azure never needs nextLink). */
export function listAnswer(items: StoredResource[]): { status: number; body: { value: unknown[] } } {
  return { status: 200, body: { value: items.map(resourceBody) } };
}

/** Resources keyed by lower-cased id: ARM ids are case-insensitive but answers keep the caller's casing. */
export class ResourceStore {
  private readonly items = new Map<string, StoredResource>();

  get(id: string): StoredResource | undefined {
    return this.items.get(id.toLowerCase());
  }
  put(resource: StoredResource): void {
    this.items.set(resource.id.toLowerCase(), resource);
  }
  delete(id: string): boolean {
    return this.items.delete(id.toLowerCase());
  }
  /** Direct children of `parentId` of one type (`Microsoft.Compute/galleries/images`). */
  children(parentId: string, type?: string): StoredResource[] {
    const prefix = parentId.toLowerCase() + '/';
    return [...this.items.values()].filter(
      (r) => r.id.toLowerCase().startsWith(prefix) && (!type || r.type.toLowerCase() === type.toLowerCase()),
    );
  }
  /** Everything below an id at any depth (a resource group's content). */
  descendants(parentId: string): StoredResource[] {
    const prefix = parentId.toLowerCase() + '/';
    return [...this.items.values()].filter((r) => r.id.toLowerCase().startsWith(prefix));
  }
  all(): StoredResource[] {
    return [...this.items.values()];
  }
}

import { randomUUID } from 'node:crypto';
import { bearerToken, jsonBody, type LocalAnswer, type LocalRequest } from '../http';
import type { LocalEntra } from '../entra';
import { ArmError, armErrors } from './errors';
import { handleRoleAssignments } from './roleAssignments';
import { ResourceGroups, resourceGroupId } from './resourceGroups';
import { PUBLIC_REGIONS } from './regions';
import type { FaultInjector } from './faults';
import { OperationEngine, type Operation } from './operations';
import { ResourceStore, listAnswer, resourceBody, type StoredResource } from './store';
import type { ResourceTypeSpec } from './providers/types';

export interface ArmOptions {
  baseUrl: () => string;
  entra: LocalEntra;
  faults: FaultInjector;
  /** Each subscription belongs to one tenant (default: the home tenant of `entra`). */
  subscriptions: { id: string; displayName: string; tenantId?: string }[];
  audiences: () => string[];
  operationDelayMs: number;
  /** Retry-After seconds on long-running answers; 0 sends none, so clients use their own interval. */
  retryAfterSeconds: number;
  locations: string[];
  /** A resource was written or deleted (the operation finished): system topics of Event Grid publish it. */
  onResourceEvent?: (kind: 'write' | 'delete', resource: StoredResource) => void;
}

interface ParsedPath {
  subscriptionId: string;
  resourceGroup?: string;
  provider?: string;
  /** [type, name, type, name, ...] after the provider; odd length = collection or action. */
  rest: string[];
}

function parsePath(pathname: string): ParsedPath | undefined {
  const s = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (s[0]?.toLowerCase() !== 'subscriptions' || !s[1]) return undefined;
  const parsed: ParsedPath = { subscriptionId: s[1], rest: [] };
  let i = 2;
  // `/subscriptions/{id}/resourcegroups` alone is the list of groups, not a group without a name.
  if (s[i]?.toLowerCase() === 'resourcegroups' && s[i + 1] !== undefined) {
    parsed.resourceGroup = s[i + 1];
    i += 2;
  }
  if (s[i]?.toLowerCase() === 'providers') {
    parsed.provider = s[i + 1];
    parsed.rest = s.slice(i + 2);
  } else if (i < s.length) {
    parsed.rest = s.slice(i);
  }
  return parsed;
}

/** Where a request's resource lives, as the router resolved it. */
interface ResourceTarget {
  id: string;
  name: string;
  sub: string;
  rg: string;
  provider: string;
  existing?: StoredResource;
  parent?: StoredResource;
}

/** The ARM front door: auth, api-version, faults, then resource groups, operations and provider types. */
export class ArmRouter {
  readonly store = new ResourceStore();
  readonly operations = new OperationEngine();
  private readonly types = new Map<string, ResourceTypeSpec>();

  private readonly resourceGroups: ResourceGroups;

  constructor(private readonly options: ArmOptions) {
    this.resourceGroups = new ResourceGroups({
      store: this.store,
      operations: this.operations,
      typeSpec: (type) => this.typeSpec(type),
      baseUrl: options.baseUrl,
      operationDelayMs: options.operationDelayMs,
      retryAfterSeconds: options.retryAfterSeconds,
    });
  }

  register(spec: ResourceTypeSpec): void {
    this.types.set(spec.type.toLowerCase(), spec);
  }

  typeSpec(type: string): ResourceTypeSpec | undefined {
    return this.types.get(type.toLowerCase());
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'x-ms-request-id': randomUUID(), 'x-ms-correlation-request-id': randomUUID(), ...extra };
  }

  /**
   * Polling URLs as Azure builds them: under the provider, in the resource's own region, with the api-version of
   * the request that started the operation.
   */
  private lroHeaders(
    req: LocalRequest,
    sub: string,
    provider: string,
    resource: StoredResource,
    op: Operation,
  ): Record<string, string> {
    const region = resource.location ?? this.options.locations[0];
    const apiVersion = encodeURIComponent(req.url.searchParams.get('api-version') ?? '');
    const base = `${this.options.baseUrl()}/subscriptions/${sub}/providers/${provider}/locations/${region}/`;
    const h: Record<string, string> = {
      'Azure-AsyncOperation': `${base}operations/${op.id}?api-version=${apiVersion}`,
      Location: `${base}operationResults/${op.id}?api-version=${apiVersion}`,
    };
    if (this.options.retryAfterSeconds > 0) h['Retry-After'] = String(this.options.retryAfterSeconds);
    return h;
  }

  async handle(req: LocalRequest): Promise<LocalAnswer | undefined> {
    const parsed = parsePath(req.url.pathname);
    const isSubscriptionsList = /^\/subscriptions\/?$/i.test(req.url.pathname);
    if (!parsed && !isSubscriptionsList) return undefined;
    const correlation = this.headers(
      typeof req.headers['x-ms-client-request-id'] === 'string'
        ? { 'x-ms-client-request-id': req.headers['x-ms-client-request-id'] }
        : {},
    );
    try {
      this.authenticate(req, parsed);
      if (!req.url.searchParams.get('api-version')) throw armErrors.missingApiVersion();
      const fault = this.options.faults.take(req.method, req.url.pathname, [
        'throttle',
        'serverError',
        'unavailable',
      ]);
      if (fault) return this.faultAnswer(fault.kind, fault.retryAfterSeconds, correlation);
      this.operations.tick();
      const answer = isSubscriptionsList
        ? this.listSubscriptions(this.callers.get(req)!.tenant)
        : (handleRoleAssignments(req, this.store) ?? (await this.route(req, parsed!)));
      return { ...answer, headers: { ...correlation, ...answer.headers } };
    } catch (e) {
      if (e instanceof ArmError) {
        const answer = e.toAnswer();
        // The challenge names the subscription's own tenant: that is how clients find where to get a token.
        const tenant = (parsed && this.tenantOf(parsed.subscriptionId)) ?? this.options.entra.tenantId;
        const extra: Record<string, string> =
          e.status === 401
            ? {
                'WWW-Authenticate': `Bearer authorization_uri="${this.options.entra.authorityHost}${tenant}", error="invalid_token", error_description="${e.message}"`,
              }
            : {};
        return { ...answer, headers: { ...correlation, ...extra } };
      }
      throw e;
    }
  }

  private faultAnswer(
    kind: string,
    retryAfter: number | undefined,
    headers: Record<string, string>,
  ): LocalAnswer {
    if (kind === 'throttle') {
      return {
        status: 429,
        headers: { ...headers, 'Retry-After': String(retryAfter ?? 1) },
        body: { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } },
      };
    }
    if (kind === 'unavailable') {
      return {
        status: 503,
        headers,
        body: { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' } },
      };
    }
    return {
      status: 500,
      headers,
      body: { error: { code: 'InternalServerError', message: 'Encountered internal server error.' } },
    };
  }

  /** The tenant a subscription belongs to (undefined: no such subscription). */
  tenantOf(subscriptionId: string): string | undefined {
    const sub = this.options.subscriptions.find((s) => s.id.toLowerCase() === subscriptionId.toLowerCase());
    return sub ? (sub.tenantId ?? this.options.entra.tenantId) : undefined;
  }

  /** Who made each request: its token's tenant and the tenants its auxiliary tokens add (linked access). */
  private readonly callers = new WeakMap<LocalRequest, { tenant: string; linkedTenants: string[] }>();

  /**
   * As ARM: a token of another tenant than the subscription's is refused (InvalidAuthenticationTokenTenant);
   * `x-ms-authorization-auxiliary` carries up to three tokens of other tenants, for the same application,
   * which let a write read resources there (a gallery image version copied across tenants).
   */
  private authenticate(req: LocalRequest, parsed: ParsedPath | undefined): void {
    const token = bearerToken(req);
    if (!token) throw armErrors.missingToken();
    const verdict = this.options.entra.verifyAccessToken(token, this.options.audiences());
    if (!verdict.ok) throw armErrors.invalidToken(verdict.why);
    const tenant = verdict.claims.tid;
    const subscriptionTenant = parsed && this.tenantOf(parsed.subscriptionId);
    if (subscriptionTenant && subscriptionTenant !== tenant) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer 'https://sts.windows.net/${tenant}/'. It must match the tenant 'https://sts.windows.net/${subscriptionTenant}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${subscriptionTenant}' to get the token.`,
      );
    }
    const header = req.headers['x-ms-authorization-auxiliary'];
    const auxiliary = (typeof header === 'string' ? header : '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (auxiliary.length > 3)
      throw armErrors.invalidToken(
        'At most three auxiliary tokens are allowed (x-ms-authorization-auxiliary).',
      );
    const linkedTenants = [tenant];
    for (const value of auxiliary) {
      const aux = /^Bearer\s+(.+)$/i.exec(value)?.[1];
      const checked = aux ? this.options.entra.verifyAccessToken(aux, this.options.audiences()) : undefined;
      if (!checked?.ok) {
        throw new ArmError(
          401,
          'InvalidAuthenticationTokenAuxiliary',
          `The auxiliary token is not valid: ${checked && !checked.ok ? checked.why : 'expected "Bearer {token}"'}`,
        );
      }
      if (checked.claims.appid !== verdict.claims.appid) {
        throw new ArmError(
          401,
          'InvalidAuthenticationTokenAuxiliary',
          `The auxiliary token of application '${checked.claims.appid}' does not belong to the application of the primary token '${verdict.claims.appid}'.`,
        );
      }
      linkedTenants.push(checked.claims.tid);
    }
    this.callers.set(req, { tenant, linkedTenants });
  }

  private listSubscriptions(tenant: string): LocalAnswer {
    return {
      status: 200,
      body: {
        value: this.options.subscriptions
          .filter((s) => (s.tenantId ?? this.options.entra.tenantId) === tenant)
          .map((s) => ({
            id: `/subscriptions/${s.id}`,
            subscriptionId: s.id,
            displayName: s.displayName,
            state: 'Enabled',
            tenantId: tenant,
          })),
      },
    };
  }

  private async route(req: LocalRequest, p: ParsedPath): Promise<LocalAnswer> {
    const sub = this.options.subscriptions.find((s) => s.id.toLowerCase() === p.subscriptionId.toLowerCase());
    if (!sub) throw armErrors.subscriptionNotFound(p.subscriptionId);
    const subId = sub.id;
    if (!p.resourceGroup && !p.provider) {
      if (p.rest.length === 0)
        return {
          status: 200,
          body: {
            id: `/subscriptions/${subId}`,
            subscriptionId: subId,
            displayName: sub.displayName,
            state: 'Enabled',
            tenantId: this.tenantOf(subId),
          },
        };
      if (p.rest[0].toLowerCase() === 'locations') return this.listLocations(subId);
      if (p.rest[0].toLowerCase() === 'resourcegroups') return this.resourceGroups.list(subId);
      if (p.rest[0].toLowerCase() === 'resources' && req.method === 'GET') {
        const prefix = `/subscriptions/${subId}/resourcegroups/`;
        return this.list(
          this.store
            .all()
            .filter(
              (r) => r.id.toLowerCase().startsWith(prefix) && r.type !== 'Microsoft.Resources/resourceGroups',
            ),
        );
      }
      if (p.rest[0].toLowerCase() === 'operationresults' && p.rest[1]) return this.operationResult(p.rest[1]);
    }
    if (p.resourceGroup !== undefined && !p.provider)
      return this.resourceGroups.handle(req, subId, p.resourceGroup, p.rest);
    if (p.provider && !p.resourceGroup) {
      if (p.rest[0]?.toLowerCase() === 'locations' && p.rest[2]) {
        const kind = p.rest[2].toLowerCase();
        if (kind === 'operations' && p.rest[3]) return this.operationStatus(p.rest[3]);
        if (kind === 'operationresults' && p.rest[3]) return this.operationResult(p.rest[3]);
      }
      if (p.rest.length === 1 && req.method === 'GET') {
        const type = `${p.provider}/${p.rest[0]}`;
        const listed = this.typeSpec(type);
        if (!listed) throw armErrors.noProvider(type);
        if (listed.subscriptionList) return { status: 200, body: { value: listed.subscriptionList() } };
        const prefix = `/subscriptions/${subId}/`.toLowerCase();
        return this.list(
          this.store
            .all()
            .filter(
              (r) => r.type.toLowerCase() === type.toLowerCase() && r.id.toLowerCase().startsWith(prefix),
            ),
        );
      }
    }
    if (p.provider && p.resourceGroup)
      return this.providerResource(req, subId, p.resourceGroup, p.provider, p.rest);
    throw new ArmError(
      404,
      'InvalidResourceType',
      `The resource path '${req.url.pathname}' is not supported.`,
    );
  }

  /** The body of a resource as its type shows it (some hide state unless asked with $expand). */
  private present(
    spec: ResourceTypeSpec,
    r: StoredResource,
    query: URLSearchParams,
  ): Record<string, unknown> {
    return spec.present ? spec.present(r, query) : resourceBody(r);
  }

  private list(items: StoredResource[]): LocalAnswer {
    return listAnswer(items);
  }

  private listLocations(sub: string): LocalAnswer {
    return {
      status: 200,
      body: {
        value: this.options.locations.map((name) => ({
          id: `/subscriptions/${sub}/locations/${name}`,
          name,
          type: 'Region',
          displayName: PUBLIC_REGIONS[name] ?? name,
          regionalDisplayName: `(${name}) ${PUBLIC_REGIONS[name] ?? name}`,
          metadata: { regionType: 'Physical', regionCategory: 'Recommended' },
        })),
      },
    };
  }

  private rgId(sub: string, rg: string): string {
    return resourceGroupId(sub, rg);
  }

  private operationStatus(opId: string): LocalAnswer {
    const op = this.operations.get(opId);
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${opId}' was not found.`);
    const body: Record<string, unknown> = { name: op.id, status: op.status, startTime: op.startTime };
    if (op.endTime) body.endTime = op.endTime;
    if (op.status === 'Failed' && op.error) body.error = op.error;
    const headers: Record<string, string> = {};
    if (op.status === 'InProgress' && this.options.retryAfterSeconds > 0)
      headers['Retry-After'] = String(this.options.retryAfterSeconds);
    return { status: 200, body, headers };
  }

  private operationResult(opId: string): LocalAnswer {
    const op = this.operations.get(opId);
    if (!op) throw new ArmError(404, 'OperationNotFound', `The operation '${opId}' was not found.`);
    if (op.status === 'InProgress') {
      const headers: Record<string, string> = {};
      if (this.options.retryAfterSeconds > 0) headers['Retry-After'] = String(this.options.retryAfterSeconds);
      return { status: 202, headers };
    }
    if (op.status === 'Failed') {
      const error = op.error ?? { code: 'InternalOperationError', message: 'The operation failed.' };
      return { status: 400, body: { error } };
    }
    if (op.kind === 'action') return { status: 200, body: op.result };
    // Resource Manager ends a group's delete with 200 (ResourceGroups_Delete declares 200 and 202 only).
    if (op.kind === 'delete')
      return { status: /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/i.test(op.resourceId) ? 200 : 204 };
    // A PUT or PATCH followed through its Location URL ends with the resource itself.
    const resource = this.store.get(op.resourceId);
    const spec = resource && this.typeSpec(resource.type);
    return {
      status: 200,
      body: resource && spec ? this.present(spec, resource, new URLSearchParams()) : undefined,
    };
  }

  private async providerResource(
    req: LocalRequest,
    sub: string,
    rg: string,
    provider: string,
    rest: string[],
  ): Promise<LocalAnswer> {
    const rgResource = this.store.get(this.rgId(sub, rg));
    if (!rgResource) throw armErrors.resourceGroupNotFound(rg);
    const rgIdText = rgResource.id;
    // An extension resource: `{scope}/providers/{Provider}/{type}/{name}` below another resource (Event Grid
    // subscriptions of a topic).
    const ext = rest.findIndex((s, i) => i % 2 === 0 && s.toLowerCase() === 'providers');
    if (ext > 0)
      return this.extensionResource(
        req,
        sub,
        rg,
        `${rgIdText}/providers/${provider}/${rest.slice(0, ext).join('/')}`,
        rest[ext + 1],
        rest.slice(ext + 2),
      );
    const types: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < rest.length; i += 2) {
      types.push(rest[i]);
      if (rest[i + 1] !== undefined) names.push(rest[i + 1]);
    }
    // A read-only sub-resource such as `virtualMachines/{vm}/instanceView`: the parent type answers it.
    const viewName = rest.length % 2 === 1 && req.method === 'GET' ? rest[rest.length - 1] : undefined;
    const viewOf = viewName
      ? this.typeSpec([provider, ...types.slice(0, -1)].join('/'))?.views?.[viewName]
      : undefined;
    const isAction = rest.length % 2 === 1 && (req.method === 'POST' || viewOf !== undefined);
    const resourceTypes = isAction ? types.slice(0, -1) : types;
    const type = [provider, ...resourceTypes].join('/');
    const spec = this.typeSpec(type);
    if (!spec) throw armErrors.noProvider(type);
    const idOf = (depth: number) =>
      `${rgIdText}/providers/${provider}/` +
      resourceTypes
        .slice(0, depth)
        .map((t, k) => `${t}/${names[k]}`)
        .join('/');
    // Parent of a nested type must exist (and is looked up case-insensitively, like ARM).
    let parent: StoredResource | undefined;
    if (resourceTypes.length > 1) {
      const parentId = idOf(resourceTypes.length - 1);
      parent = this.store.get(parentId);
      if (!parent || parent.properties.provisioningState === 'Deleting')
        throw armErrors.parentNotFound(names[resourceTypes.length - 2]);
    }
    if (names.length < resourceTypes.length) {
      if (req.method !== 'GET')
        throw new ArmError(
          405,
          'MethodNotAllowed',
          `The HTTP method '${req.method}' is not supported on a collection.`,
        );
      const parentId = resourceTypes.length > 1 ? parent!.id : rgIdText;
      const items = this.store.children(parentId, spec.type);
      return {
        status: 200,
        body: { value: items.map((r) => this.present(spec, r, new URLSearchParams())) },
      };
    }
    const id = idOf(resourceTypes.length);
    const name = names[resourceTypes.length - 1];
    const existing = this.store.get(id);
    if (isAction && viewOf) {
      if (!existing) throw armErrors.notFound(type, name, rg);
      return { status: 200, body: viewOf(existing, req.url.searchParams) };
    }
    if (isAction) {
      const actionName = rest[rest.length - 1];
      const action = spec.actions?.[actionName];
      if (!action)
        throw new ArmError(
          404,
          'InvalidResourceType',
          `The action '${actionName}' is not supported on '${type}'.`,
        );
      if (!existing) throw armErrors.notFound(type, name, rg);
      const answer = await action({
        resource: existing,
        body: (jsonBody(req) ?? {}) as Record<string, unknown>,
        store: this.store,
        baseUrl: this.options.baseUrl(),
      });
      if ('async' in answer) {
        const failure = this.options.faults.take('POST', req.url.pathname, ['failOperation']);
        const op = this.operations.start({
          kind: 'action',
          resourceId: existing.id,
          finishAt:
            Date.now() + (answer.async.durationMs ?? spec.operationMs ?? this.options.operationDelayMs),
          complete: answer.async.complete,
          until: answer.async.until,
          error: failure?.error ?? answer.async.error,
        });
        return {
          status: 202,
          headers: this.lroHeaders(req, sub, provider, existing, op),
          body: answer.async.acceptedBody,
        };
      }
      return { status: answer.status ?? 200, body: answer.body };
    }
    return this.item(req, spec, { id, name, sub, rg, provider, existing, parent });
  }

  /** GET, PUT, PATCH or DELETE of one resource, wherever its id lives (a group, a parent, an extension scope). */
  private async item(req: LocalRequest, spec: ResourceTypeSpec, t: ResourceTarget): Promise<LocalAnswer> {
    switch (req.method) {
      case 'GET':
        if (!t.existing) throw armErrors.notFound(spec.type, t.name, t.rg);
        return { status: 200, body: this.present(spec, t.existing, req.url.searchParams) };
      case 'PUT':
      case 'PATCH':
        return await this.write(req, spec, t);
      case 'DELETE':
        return await this.remove(req, spec, t);
      default:
        throw new ArmError(405, 'MethodNotAllowed', `The HTTP method '${req.method}' is not supported.`);
    }
  }

  private async extensionResource(
    req: LocalRequest,
    sub: string,
    rg: string,
    scopeId: string,
    provider: string,
    rest: string[],
  ): Promise<LocalAnswer> {
    const scope = this.store.get(scopeId);
    if (!scope) throw armErrors.notFound(scopeId.split('/').slice(-2, -1)[0], scopeId.split('/').pop()!, rg);
    const type = `${provider}/${rest[0]}`;
    const spec = this.typeSpec(type);
    if (!spec || rest.length > 2) throw armErrors.noProvider(type);
    if (rest.length === 1) {
      if (req.method !== 'GET')
        throw new ArmError(
          405,
          'MethodNotAllowed',
          `The HTTP method '${req.method}' is not supported on a collection.`,
        );
      const items = this.store.children(`${scope.id}/providers/${provider}`, spec.type);
      return { status: 200, body: { value: items.map((r) => this.present(spec, r, new URLSearchParams())) } };
    }
    const name = rest[1];
    const id = `${scope.id}/providers/${provider}/${rest[0]}/${name}`;
    const existing = this.store.get(id);
    return this.item(req, spec, { id, name, sub, rg, provider, existing, parent: scope });
  }

  private async write(req: LocalRequest, spec: ResourceTypeSpec, t: ResourceTarget): Promise<LocalAnswer> {
    let body = (jsonBody(req) ?? {}) as Record<string, unknown>;
    if (req.method === 'PATCH') {
      if (!t.existing) throw armErrors.notFound(spec.type, t.name, t.rg);
      body = {
        ...body,
        location: t.existing.location,
        tags: body.tags ?? t.existing.tags,
        properties: { ...t.existing.properties, ...((body.properties as Record<string, unknown>) ?? {}) },
      };
    }
    if (
      t.existing &&
      this.operations.inProgressFor(t.existing.id) &&
      t.existing.properties.provisioningState === 'Deleting'
    ) {
      throw armErrors.conflict(`The resource '${t.name}' is being deleted.`);
    }
    const written = await spec.write({
      id: t.existing?.id ?? t.id,
      name: t.existing?.name ?? t.name,
      subscriptionId: t.sub,
      resourceGroup: t.rg,
      body,
      existing: t.existing,
      store: this.store,
      parent: t.parent,
      linkedTenants: this.callers.get(req)?.linkedTenants ?? [],
      tenantOf: (subscriptionId) => this.tenantOf(subscriptionId),
    });
    written.type = spec.type;
    const created = !t.existing;
    if (!spec.asyncCreate) {
      written.properties.provisioningState = 'Succeeded';
      this.store.put(written);
      spec.onProvisioned?.(written, this.store);
      this.options.onResourceEvent?.('write', written);
      return { status: created ? 201 : 200, body: this.present(spec, written, new URLSearchParams()) };
    }
    written.properties.provisioningState = created ? 'Creating' : 'Updating';
    this.store.put(written);
    const failure = this.options.faults.take(req.method, req.url.pathname, ['failOperation']);
    const slow = this.options.faults.take(req.method, req.url.pathname, ['slow']);
    const timing = spec.writeOperation?.(written, this.store);
    const op = this.operations.start({
      kind: 'put',
      resourceId: written.id,
      finishAt:
        Date.now() +
        (slow?.delayMs ?? timing?.durationMs ?? spec.operationMs ?? this.options.operationDelayMs),
      advance: timing?.advance,
      until: timing?.until,
      error: failure
        ? (failure.error ?? { code: 'InternalOperationError', message: 'The operation failed.' })
        : timing?.error,
      complete: () => {
        written.properties.provisioningState = 'Succeeded';
        spec.onProvisioned?.(written, this.store);
        this.options.onResourceEvent?.('write', written);
      },
      fail: () => {
        written.properties.provisioningState = 'Failed';
      },
    });
    return {
      status: created ? (spec.createStatus ?? 201) : (spec.updateStatus ?? 200),
      body: this.present(spec, written, new URLSearchParams()),
      headers: this.lroHeaders(req, t.sub, t.provider, written, op),
    };
  }

  private async remove(
    req: LocalRequest,
    spec: ResourceTypeSpec,
    t: { sub: string; provider: string; existing?: StoredResource },
  ): Promise<LocalAnswer> {
    if (!t.existing) return { status: 204 };
    const existing = t.existing;
    await spec.beforeDelete?.({ resource: existing, store: this.store });
    const finish = () => {
      for (const child of this.store.descendants(existing.id)) this.store.delete(child.id);
      this.store.delete(existing.id);
      spec.onDeleted?.(existing, this.store);
      this.options.onResourceEvent?.('delete', existing);
    };
    if (!spec.asyncDelete) {
      finish();
      return { status: 200 };
    }
    const previousState = existing.properties.provisioningState;
    existing.properties.provisioningState = 'Deleting';
    const failure = this.options.faults.take('DELETE', req.url.pathname, ['failOperation']);
    const op = this.operations.start({
      kind: 'delete',
      resourceId: existing.id,
      finishAt: Date.now() + (spec.operationMs ?? this.options.operationDelayMs),
      error: failure
        ? (failure.error ?? { code: 'InternalOperationError', message: 'The operation failed.' })
        : undefined,
      complete: finish,
      fail: () => {
        existing.properties.provisioningState = previousState;
      },
    });
    return { status: 202, headers: this.lroHeaders(req, t.sub, t.provider, existing, op) };
  }
}

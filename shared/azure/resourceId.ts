import { InputError } from '../validation/inputError';

export interface ResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  /** e.g. `Microsoft.Compute` */
  provider?: string;
  /** Type segments after the provider, e.g. `['galleries', 'images', 'versions']`. */
  types: string[];
  /** Names matching `types`. */
  names: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The full type as ARM writes it: `Microsoft.Compute/galleries/images`. */
export function resourceType(id: ResourceId): string {
  return [id.provider, ...id.types].filter(Boolean).join('/');
}

export function parseResourceId(text: string, options: { input: string; expectedType?: string }): ResourceId {
  const fail = (why: string): never => {
    throw new InputError(options.input, `'${text}' is not a valid Azure resource id: ${why}`);
  };
  const trimmed = text.trim();
  if (!trimmed.startsWith('/')) fail("it must start with '/subscriptions/'");
  const segments = trimmed.replace(/\/+$/, '').split('/').slice(1);
  if (segments.some((s) => s.length === 0)) fail('it has an empty segment (two slashes in a row)');
  if (segments[0]?.toLowerCase() !== 'subscriptions' || !segments[1])
    fail("it must start with '/subscriptions/{id}'");
  const id: ResourceId = { subscriptionId: segments[1], types: [], names: [] };
  if (!GUID.test(id.subscriptionId)) fail(`subscription '${id.subscriptionId}' is not a GUID`);
  let i = 2;
  if (segments[i]?.toLowerCase() === 'resourcegroups') {
    if (!segments[i + 1]) fail('the resource group name is missing');
    id.resourceGroup = segments[i + 1];
    i += 2;
  }
  if (i < segments.length) {
    if (segments[i].toLowerCase() !== 'providers' || !segments[i + 1])
      fail("expected '/providers/{namespace}'");
    id.provider = segments[i + 1];
    i += 2;
    const rest = segments.slice(i);
    if (rest.length === 0 || rest.length % 2 !== 0) fail('every resource type must be followed by a name');
    for (let j = 0; j < rest.length; j += 2) {
      id.types.push(rest[j]);
      id.names.push(rest[j + 1]);
    }
  }
  if (options.expectedType && resourceType(id).toLowerCase() !== options.expectedType.toLowerCase()) {
    fail(`expected a ${options.expectedType}, got a ${resourceType(id) || 'subscription or resource group'}`);
  }
  return id;
}

export function formatResourceId(id: ResourceId): string {
  let text = `/subscriptions/${id.subscriptionId}`;
  if (id.resourceGroup) text += `/resourceGroups/${id.resourceGroup}`;
  if (id.provider) {
    text += `/providers/${id.provider}`;
    id.types.forEach((t, k) => (text += `/${t}/${id.names[k]}`));
  }
  return text;
}

/** The last name segment: the resource's own name. */
export function resourceName(id: ResourceId): string {
  return id.names[id.names.length - 1] ?? id.resourceGroup ?? id.subscriptionId;
}

export function sameResourceId(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

/** Refuses an id of another resource type, naming the input (a pure check: no Azure call). */
export function expectResourceType(input: string, id: ResourceId, types: string[], what: string): void {
  const type = resourceType(id).toLowerCase();
  if (!types.some((t) => t.toLowerCase() === type)) {
    throw new InputError(input, `expected ${what}, got a ${resourceType(id) || 'resource group'}`);
  }
}

import { formatAzureError } from '../azure/errors';
import { normalizeRegion } from '../azure/regions';
import { InputError } from '../validation/inputError';

/** Where one copy goes. */
export interface CopyDestination {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  name: string;
}

/** What happened to one target: a failing target never hides the others' results. */
export interface TargetOutcome<T> {
  target: CopyDestination;
  status: 'copied' | 'replaced' | 'unchanged' | 'failed';
  result?: T;
  error?: string;
  durationMs: number;
}

export interface DestinationInputs {
  /** Target subscriptions (empty: the connection's). */
  subscriptionIds: string[];
  resourceGroup: string;
  /** Target regions (empty: the source's). */
  locations: string[];
  /** Name of the copies (empty: the source's). */
  name?: string;
}

const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every subscription × region pair is one target. Several regions in one resource group would collide on the
 * name, so there each copy's name ends with its region (`name-eastus`); one region keeps the name as given.
 */
export function copyDestinations(
  inputs: DestinationInputs,
  defaults: { subscriptionId: string; location: string; name: string },
): CopyDestination[] {
  for (const s of inputs.subscriptionIds) {
    if (!SUBSCRIPTION.test(s))
      throw new InputError('targetSubscriptionId', `'${s}' is not a subscription id (a GUID)`);
  }
  if (!inputs.resourceGroup.trim()) throw new InputError('targetResourceGroupName', 'is required');
  const subscriptions = unique(
    inputs.subscriptionIds.length ? inputs.subscriptionIds : [defaults.subscriptionId],
  );
  const locations = unique(
    inputs.locations.length
      ? inputs.locations.map((l) => normalizeRegion('targetLocation', l))
      : [defaults.location],
  );
  const name = inputs.name?.trim() || defaults.name;
  return subscriptions.flatMap((subscriptionId) =>
    locations.map((location) => ({
      subscriptionId,
      resourceGroup: inputs.resourceGroup.trim(),
      location,
      name: locations.length > 1 ? `${name}-${location}` : name,
    })),
  );
}

function unique(values: string[]): string[] {
  return [...new Map(values.map((v) => [v.toLowerCase(), v])).values()];
}

/**
 * Runs `copy` for every target, at most `limit` at a time. Each target's failure is its own outcome; an input
 * error or a cancellation stops the run as a whole (the next targets would fail the same way).
 */
export async function forEachTarget<T>(
  targets: CopyDestination[],
  limit: number,
  signal: AbortSignal | undefined,
  copy: (
    target: CopyDestination,
    index: number,
  ) => Promise<{ status: TargetOutcome<T>['status']; result: T }>,
): Promise<TargetOutcome<T>[]> {
  const outcomes: TargetOutcome<T>[] = new Array<TargetOutcome<T>>(targets.length);
  let next = 0;
  let stop: unknown;
  const worker = async () => {
    while (stop === undefined && next < targets.length) {
      const index = next++;
      const target = targets[index];
      const started = Date.now();
      try {
        const done = await copy(target, index);
        outcomes[index] = { target, ...done, durationMs: Date.now() - started };
      } catch (e) {
        if (e instanceof InputError || signal?.aborted) {
          stop ??= e;
          return;
        }
        outcomes[index] = {
          target,
          status: 'failed',
          error: formatAzureError(e),
          durationMs: Date.now() - started,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, targets.length)) }, worker));
  if (stop !== undefined) throw stop;
  return outcomes;
}

/** `sub/rg/name (region)`: how a target is named in logs and summaries. */
export function describeDestination(t: CopyDestination): string {
  return `${t.resourceGroup}/${t.name} in ${t.location} (subscription ${t.subscriptionId})`;
}

import {
  type EventSubscription,
  type EventSubscriptionDestinationUnion,
  type StringInAdvancedFilter,
} from '@azure/arm-eventgrid';
import { getIfExists, rethrowResourceGroup } from '../azure/armLookup';
import { eventGridClient } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { parseResourceId, resourceType } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

export const DESTINATION_TYPES = [
  'webhook',
  'storageQueue',
  'serviceBusQueue',
  'serviceBusTopic',
  'eventHub',
] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export interface SubscribeRequest {
  subscriptionId: string;
  /** Resource group of the system topic (and, for a resource-group topic, its source). */
  resourceGroup: string;
  systemTopic: string;
  /** What the system topic listens to: the whole subscription, or its resource group. */
  scope: 'subscription' | 'resourceGroup';
  gallery: { resourceGroup: string; name: string; imageDefinition?: string };
  eventSubscription: string;
  destination: { type: DestinationType; endpoint: string; queueName?: string };
  deadLetter?: { storageAccountId: string; container: string };
  maxDeliveryAttempts: number;
  eventTimeToLiveMinutes: number;
}

const NAME = /^[A-Za-z0-9-]{3,64}$/;
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const TARGET_TYPES: Record<Exclude<DestinationType, 'webhook'>, string> = {
  storageQueue: 'Microsoft.Storage/storageAccounts',
  serviceBusQueue: 'Microsoft.ServiceBus/namespaces/queues',
  serviceBusTopic: 'Microsoft.ServiceBus/namespaces/topics',
  eventHub: 'Microsoft.EventHub/namespaces/eventhubs',
};

/** The subscribe request, checked once (errors name the input); ensureImageSubscription trusts it. */
export function subscribeRequest(r: SubscribeRequest): SubscribeRequest {
  if (!NAME.test(r.systemTopic))
    throw new InputError(
      'systemTopicName',
      `'${r.systemTopic}' is not a valid name: 3 to 64 letters, digits and '-'`,
    );
  if (!NAME.test(r.eventSubscription))
    throw new InputError(
      'eventSubscriptionName',
      `'${r.eventSubscription}' is not a valid name: 3 to 64 letters, digits and '-'`,
    );
  const d = r.destination;
  if (d.type === 'webhook') {
    if (!/^https:\/\/[^/?#]+/i.test(d.endpoint))
      throw new InputError(
        'destination',
        `'${d.endpoint.split('?')[0]}' is not an https URL: Event Grid delivers to webhooks over https only`,
      );
  } else {
    const id = parseResourceId(d.endpoint, { input: 'destination' });
    if (resourceType(id).toLowerCase() !== TARGET_TYPES[d.type].toLowerCase())
      throw new InputError(
        'destination',
        `a ${d.type} destination is the id of a ${TARGET_TYPES[d.type]}, not of a ${resourceType(id) || 'resource group'}`,
      );
    if (d.type === 'storageQueue' && !QUEUE_NAME.test(d.queueName ?? ''))
      throw new InputError(
        'queueName',
        `'${d.queueName ?? ''}' is not a storage queue name: 3 to 63 lower-case letters, digits and single '-', starting and ending with a letter or digit`,
      );
  }
  if (r.deadLetter) {
    const id = parseResourceId(r.deadLetter.storageAccountId, { input: 'deadLetterStorageAccountId' });
    if (resourceType(id).toLowerCase() !== 'microsoft.storage/storageaccounts')
      throw new InputError(
        'deadLetterStorageAccountId',
        'is the id of a storage account (Microsoft.Storage/storageAccounts)',
      );
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(r.deadLetter.container))
      throw new InputError('deadLetterContainer', `'${r.deadLetter.container}' is not a blob container name`);
  }
  // A resource-group topic hears only its own group: a gallery elsewhere would never match.
  if (r.scope === 'resourceGroup' && r.gallery.resourceGroup.toLowerCase() !== r.resourceGroup.toLowerCase())
    throw new InputError(
      'galleryResourceGroupName',
      `the system topic listens to resource group '${r.resourceGroup}' only, so a gallery in '${r.gallery.resourceGroup}' would never match: use topic scope 'subscription' or the gallery's resource group`,
    );
  return r;
}

export interface SubscribeResult {
  systemTopicId: string;
  systemTopicAction: 'created' | 'unchanged';
  eventSubscriptionId: string;
  action: 'created' | 'updated' | 'unchanged';
  changes: string[];
}

const VERSION_OPERATIONS = [
  'Microsoft.Compute/galleries/images/versions/write',
  'Microsoft.Compute/galleries/images/versions/delete',
];

function desired(r: SubscribeRequest): EventSubscription {
  const d = r.destination;
  const destination: EventSubscriptionDestinationUnion =
    d.type === 'webhook'
      ? { endpointType: 'WebHook', endpointUrl: d.endpoint }
      : d.type === 'storageQueue'
        ? { endpointType: 'StorageQueue', resourceId: d.endpoint, queueName: d.queueName }
        : d.type === 'serviceBusQueue'
          ? { endpointType: 'ServiceBusQueue', resourceId: d.endpoint }
          : d.type === 'serviceBusTopic'
            ? { endpointType: 'ServiceBusTopic', resourceId: d.endpoint }
            : { endpointType: 'EventHub', resourceId: d.endpoint };
  const prefix =
    `/subscriptions/${r.subscriptionId}/resourceGroups/${r.gallery.resourceGroup}/providers/Microsoft.Compute/galleries/${r.gallery.name}/images/` +
    (r.gallery.imageDefinition ? `${r.gallery.imageDefinition}/versions/` : '');
  const operation: StringInAdvancedFilter = {
    operatorType: 'StringIn',
    key: 'data.operationName',
    values: VERSION_OPERATIONS,
  };
  return {
    destination,
    filter: {
      subjectBeginsWith: prefix,
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess',
        'Microsoft.Resources.ResourceDeleteSuccess',
      ],
      advancedFilters: [operation],
    },
    eventDeliverySchema: 'EventGridSchema',
    retryPolicy: {
      maxDeliveryAttempts: r.maxDeliveryAttempts,
      eventTimeToLiveInMinutes: r.eventTimeToLiveMinutes,
    },
    deadLetterDestination: r.deadLetter
      ? {
          endpointType: 'StorageBlob',
          resourceId: r.deadLetter.storageAccountId,
          blobContainerName: r.deadLetter.container,
        }
      : undefined,
  };
}

/** What differs between a subscription that exists and the one asked for; a webhook is compared by its base URL. */
function differences(existing: EventSubscription, want: EventSubscription): string[] {
  const changes: string[] = [];
  const shape = (d: EventSubscriptionDestinationUnion | undefined) => {
    if (!d) return '';
    const p = d as unknown as Record<string, unknown>;
    const url = String(p.endpointBaseUrl ?? p.endpointUrl ?? '').split('?')[0];
    return JSON.stringify([d.endpointType, url || undefined, p.resourceId, p.queueName]).toLowerCase();
  };
  if (shape(existing.destination) !== shape(want.destination)) changes.push('destination');
  const f = (e: EventSubscription) =>
    JSON.stringify([
      e.filter?.subjectBeginsWith?.toLowerCase(),
      [...(e.filter?.includedEventTypes ?? [])].sort(),
      (e.filter?.advancedFilters ?? []).map((a) => [
        a.operatorType,
        a.key,
        (a as StringInAdvancedFilter).values,
      ]),
    ]);
  if (f(existing) !== f(want)) changes.push('filter');
  if (
    existing.retryPolicy?.maxDeliveryAttempts !== want.retryPolicy?.maxDeliveryAttempts ||
    existing.retryPolicy?.eventTimeToLiveInMinutes !== want.retryPolicy?.eventTimeToLiveInMinutes
  )
    changes.push('retry policy');
  const dl = (e: EventSubscription) => JSON.stringify(e.deadLetterDestination ?? null).toLowerCase();
  if (dl(existing) !== dl(want)) changes.push('dead-letter destination');
  return changes;
}

/**
 * The system topic of the subscription or resource group, and an event subscription on it that hears exactly the
 * writes and deletes of the gallery's image versions. A re-run with the same inputs changes nothing and says so;
 * a changed destination, filter, retry policy or dead-letter destination is updated.
 */
export async function ensureImageSubscription(
  ctx: AzureContext,
  r: SubscribeRequest,
): Promise<SubscribeResult> {
  const client = eventGridClient(ctx, r.subscriptionId);
  const lro = { updateIntervalInMs: ctx.pollIntervalMs ?? 5_000, abortSignal: ctx.abortSignal };
  const source =
    r.scope === 'subscription'
      ? `/subscriptions/${r.subscriptionId}`
      : `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}`;
  const topic = await getIfExists(
    () => client.systemTopics.get(r.resourceGroup, r.systemTopic, { abortSignal: ctx.abortSignal }),
    'resourceGroupName',
    r.resourceGroup,
  );
  if (topic && topic.source?.toLowerCase() !== source.toLowerCase())
    throw new InputError(
      'systemTopicName',
      `system topic '${r.systemTopic}' exists for '${topic.source}', not '${source}'; an Azure source has one system topic: use that one's name, or topic scope to match it`,
    );
  const topicId =
    topic?.id ??
    (
      await client.systemTopics
        .beginCreateOrUpdateAndWait(
          r.resourceGroup,
          r.systemTopic,
          {
            location: 'global',
            source,
            topicType:
              r.scope === 'subscription'
                ? 'Microsoft.Resources.Subscriptions'
                : 'Microsoft.Resources.ResourceGroups',
          },
          lro,
        )
        .catch((e: unknown) => rethrowResourceGroup(e, 'resourceGroupName', r.resourceGroup))
    ).id!;
  const want = desired(r);
  const existing = await getIfExists(
    () =>
      client.systemTopicEventSubscriptions.get(r.resourceGroup, r.systemTopic, r.eventSubscription, {
        abortSignal: ctx.abortSignal,
      }),
    'resourceGroupName',
    r.resourceGroup,
  );
  const changes = existing ? differences(existing, want) : ['created'];
  if (existing && changes.length === 0)
    return {
      systemTopicId: topicId,
      systemTopicAction: topic ? 'unchanged' : 'created',
      eventSubscriptionId: existing.id!,
      action: 'unchanged',
      changes,
    };
  const written = await client.systemTopicEventSubscriptions.beginCreateOrUpdateAndWait(
    r.resourceGroup,
    r.systemTopic,
    r.eventSubscription,
    want,
    lro,
  );
  return {
    systemTopicId: topicId,
    systemTopicAction: topic ? 'unchanged' : 'created',
    eventSubscriptionId: written.id!,
    action: existing ? 'updated' : 'created',
    changes,
  };
}

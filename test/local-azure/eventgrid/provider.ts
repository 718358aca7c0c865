import { randomBytes, randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../arm/errors';
import { trackedResource } from '../arm/providers/tracked';
import type { ResourceTypeSpec, WriteContext } from '../arm/providers/types';
import { resourceBody, type ResourceStore, type StoredResource } from '../arm/store';
import { validateWebhook, type DeliveryTargets } from './delivery';

type Props = Record<string, unknown>;

const DESTINATIONS = [
  'WebHook',
  'StorageQueue',
  'ServiceBusQueue',
  'ServiceBusTopic',
  'EventHub',
  'AzureFunction',
  'HybridConnection',
];
const SCHEMAS = ['EventGridSchema', 'CloudEventSchemaV1_0', 'CustomInputSchema'];
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** The local data-plane endpoint of a custom topic (Azure's is https://{topic}.{region}-1.eventgrid.azure.net/api/events). */
export const topicEndpoint = (baseUrl: string, name: string) =>
  `${baseUrl}/eventgrid/topics/${name}/api/events`;

/** A subscription's destination and filter, checked as Event Grid checks them when the subscription is written. */
async function eventSubscription(
  ctx: WriteContext,
  targets: DeliveryTargets,
  topicId: string,
): Promise<StoredResource> {
  const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
  const destination = (p.destination ?? {}) as { endpointType?: string; properties?: Props };
  if (!DESTINATIONS.includes(String(destination.endpointType)))
    throw armErrors.invalidParameter(
      `The destination endpointType '${String(destination.endpointType)}' is not valid.`,
      'destination.endpointType',
    );
  const schema = String(p.eventDeliverySchema ?? 'EventGridSchema');
  if (!SCHEMAS.includes(schema))
    throw armErrors.invalidParameter(
      `The event delivery schema '${schema}' is not valid.`,
      'eventDeliverySchema',
    );
  const dp = { ...(destination.properties ?? {}) };
  if (destination.endpointType === 'WebHook') {
    const url = String(dp.endpointUrl ?? (ctx.existing ? '' : ''));
    const kept = ((ctx.existing?.properties.destination as { properties?: Props } | undefined)?.properties ??
      {}) as Props;
    const endpointUrl = url || String(kept.endpointUrl ?? '');
    if (!/^https:\/\//i.test(endpointUrl))
      throw new ArmError(
        400,
        'InvalidRequest',
        `The webhook endpoint '${endpointUrl.split('?')[0]}' must be an https URL.`,
      );
    const changed =
      endpointUrl !== kept.endpointUrl || schema !== ctx.existing?.properties.eventDeliverySchema;
    if (changed) {
      const why = await validateWebhook(endpointUrl, schema, topicId, targets.ca);
      if (why)
        throw new ArmError(
          400,
          'InvalidRequest',
          `Webhook validation handshake failed for ${endpointUrl.split('?')[0]}: ${why}. For troubleshooting, visit https://aka.ms/esvalidation.`,
        );
    }
    dp.endpointUrl = endpointUrl;
    dp.endpointBaseUrl = endpointUrl.split('?')[0];
  }
  if (destination.endpointType === 'StorageQueue') {
    if (!/\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i.test(String(dp.resourceId ?? '')))
      throw armErrors.invalidParameter(
        'The storage queue destination needs the resourceId of a storage account.',
        'destination.properties.resourceId',
      );
    if (!QUEUE_NAME.test(String(dp.queueName ?? '')))
      throw armErrors.invalidParameter(
        `The queue name '${String(dp.queueName)}' is not a valid storage queue name.`,
        'destination.properties.queueName',
      );
  }
  const retry = (p.retryPolicy ?? {}) as Props;
  const attempts = Number(retry.maxDeliveryAttempts ?? 30);
  const ttl = Number(retry.eventTimeToLiveInMinutes ?? 1440);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 30)
    throw armErrors.invalidParameter(
      'maxDeliveryAttempts must be between 1 and 30.',
      'retryPolicy.maxDeliveryAttempts',
    );
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 1440)
    throw armErrors.invalidParameter(
      'eventTimeToLiveInMinutes must be between 1 and 1440.',
      'retryPolicy.eventTimeToLiveInMinutes',
    );
  const filter = (p.filter ?? {}) as Props;
  return {
    id: ctx.id,
    name: ctx.name,
    type: '',
    properties: {
      topic: topicId,
      destination: { endpointType: destination.endpointType, properties: dp },
      filter: {
        subjectBeginsWith: filter.subjectBeginsWith ?? '',
        subjectEndsWith: filter.subjectEndsWith ?? '',
        isSubjectCaseSensitive: filter.isSubjectCaseSensitive === true,
        ...(filter.includedEventTypes ? { includedEventTypes: filter.includedEventTypes } : {}),
        ...(filter.advancedFilters ? { advancedFilters: filter.advancedFilters } : {}),
        ...(filter.enableAdvancedFilteringOnArrays !== undefined
          ? { enableAdvancedFilteringOnArrays: filter.enableAdvancedFilteringOnArrays }
          : {}),
      },
      labels: p.labels ?? [],
      eventDeliverySchema: schema,
      retryPolicy: { maxDeliveryAttempts: attempts, eventTimeToLiveInMinutes: ttl },
      ...(p.deadLetterDestination ? { deadLetterDestination: p.deadLetterDestination } : {}),
      ...(p.expirationTimeUtc ? { expirationTimeUtc: p.expirationTimeUtc } : {}),
    },
  };
}

/** Azure never shows a webhook's full URL (it may hold a key): GET answers endpointBaseUrl only. */
function presentSubscription(r: StoredResource): Record<string, unknown> {
  const body = resourceBody(r) as { properties: Props };
  const destination = body.properties.destination as { endpointType?: string; properties?: Props };
  const shown = Object.fromEntries(
    Object.entries(destination.properties ?? {}).filter(([k]) => k !== 'endpointUrl'),
  );
  return { ...body, properties: { ...body.properties, destination: { ...destination, properties: shown } } };
}

/**
 * Microsoft.EventGrid shaped on its resource-manager spec (2022-06-15): custom topics with a local data-plane
 * endpoint and access keys, system topics of a subscription or resource group, and event subscriptions — nested
 * under a system topic, or an extension resource of a custom topic. Webhook subscriptions are validated by the
 * handshake Event Grid does before it accepts them.
 */
export function eventGridProviders(baseUrl: () => string, targets: DeliveryTargets): ResourceTypeSpec[] {
  const topics: ResourceTypeSpec = {
    type: 'Microsoft.EventGrid/topics',
    asyncCreate: true,
    // Topics_CreateOrUpdate and the event subscription writes declare 201 only, for an update too.
    updateStatus: 201,
    asyncDelete: true,
    write(ctx) {
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const schema = String(p.inputSchema ?? ctx.existing?.properties.inputSchema ?? 'EventGridSchema');
      if (!SCHEMAS.includes(schema))
        throw armErrors.invalidParameter(`The input schema '${schema}' is not valid.`, 'inputSchema');
      return {
        ...trackedResource(ctx),
        properties: {
          endpoint: topicEndpoint(baseUrl(), ctx.name),
          inputSchema: schema,
          publicNetworkAccess: p.publicNetworkAccess ?? 'Enabled',
          disableLocalAuth: p.disableLocalAuth === true,
          metricResourceId: ctx.existing?.properties.metricResourceId ?? randomUUID(),
          keys: ctx.existing?.properties.keys ?? {
            key1: randomBytes(32).toString('base64'),
            key2: randomBytes(32).toString('base64'),
          },
        },
      };
    },
    present(r) {
      const body = resourceBody(r) as { properties: Props };
      const shown = Object.fromEntries(Object.entries(body.properties).filter(([k]) => k !== 'keys'));
      return { ...body, properties: shown };
    },
    actions: {
      listKeys: ({ resource }) => ({ status: 200, body: resource.properties.keys }),
    },
  };
  const systemTopics: ResourceTypeSpec = {
    type: 'Microsoft.EventGrid/systemTopics',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const source = String(p.source ?? '');
      const topicType = String(p.topicType ?? '');
      const kinds: Record<string, RegExp> = {
        'Microsoft.Resources.Subscriptions': /^\/subscriptions\/[^/]+$/i,
        'Microsoft.Resources.ResourceGroups': /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i,
      };
      if (!kinds[topicType])
        throw armErrors.invalidParameter(
          `The topic type '${topicType}' is not available here; use ${Object.keys(kinds).join(' or ')}.`,
          'topicType',
        );
      if (!kinds[topicType].test(source))
        throw armErrors.invalidParameter(`The source '${source}' is not a ${topicType} id.`, 'source');
      if (ctx.existing && String(ctx.existing.properties.source).toLowerCase() !== source.toLowerCase())
        throw armErrors.propertyChangeNotAllowed('systemTopic.properties.source');
      const location = String(ctx.body.location ?? '').toLowerCase();
      if (location !== 'global')
        throw armErrors.invalidParameter(
          `A system topic of ${topicType} lives in location 'global', not '${location}'.`,
          'location',
        );
      return {
        id: ctx.id,
        name: ctx.name,
        type: '',
        location: 'global',
        tags: ctx.body.tags as Record<string, string> | undefined,
        properties: {
          source,
          topicType,
          metricResourceId: ctx.existing?.properties.metricResourceId ?? randomUUID(),
        },
      };
    },
  };
  const systemTopicSubscriptions: ResourceTypeSpec = {
    type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    asyncCreate: true,
    updateStatus: 201,
    asyncDelete: true,
    write: (ctx) => eventSubscription(ctx, targets, String(ctx.parent?.properties.source ?? '')),
    present: presentSubscription,
    actions: {
      getFullUrl: ({ resource }) => ({
        status: 200,
        body: {
          endpointUrl: ((resource.properties.destination as { properties?: Props }).properties ?? {})
            .endpointUrl,
        },
      }),
    },
  };
  const topicSubscriptions: ResourceTypeSpec = {
    type: 'Microsoft.EventGrid/eventSubscriptions',
    asyncCreate: true,
    updateStatus: 201,
    asyncDelete: true,
    write: (ctx) => eventSubscription(ctx, targets, ctx.parent?.id ?? ''),
    present: presentSubscription,
  };
  return [topics, systemTopics, systemTopicSubscriptions, topicSubscriptions];
}

/** The subscriptions that listen to a topic or system topic. */
export function subscriptionsOf(store: ResourceStore, topic: StoredResource): StoredResource[] {
  return topic.type === 'Microsoft.EventGrid/systemTopics'
    ? store.children(topic.id, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')
    : store.children(`${topic.id}/providers/Microsoft.EventGrid`, 'Microsoft.EventGrid/eventSubscriptions');
}

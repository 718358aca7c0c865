import { randomUUID } from 'node:crypto';
import { bearerToken, type LocalAnswer, type LocalRequest, type RouteHandler } from '../http';
import type { LocalEntra } from '../entra';
import type { ResourceStore, StoredResource } from '../arm/store';
import { deliver, type DeliveredEvent, type DeliveryTargets } from './delivery';
import { filterMatches } from './filter';
import { subscriptionsOf } from './provider';

type Props = Record<string, unknown>;

/** Event Grid's data-plane audience: publishers with Entra ID ask for https://eventgrid.azure.net/.default. */
export const EVENT_GRID_AUDIENCE = 'https://eventgrid.azure.net';

/** One delivery attempt, for tests that check what reached whom. */
export interface DeliveryRecord {
  subscriptionId: string;
  eventId: string;
  eventType: string;
  error?: string;
}

/**
 * An Event Grid schema event as a CloudEvents 1.0 subscription receives it (system topics publish in the Event Grid
 * schema; a CloudEvent passes through as it is).
 */
function asCloudEvent(event: DeliveredEvent): DeliveredEvent {
  if (event.specversion === '1.0') return event;
  return {
    specversion: '1.0',
    id: event.id,
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    data: event.data,
  };
}

const error = (status: number, code: string, message: string): LocalAnswer => ({
  status,
  body: { error: { code, message } },
});

/**
 * The local Event Grid's moving parts: a custom topic's data-plane endpoint that takes CloudEvents or Event Grid
 * events with an Entra token (or a topic key) and delivers each to the topic's matching subscriptions, and
 * system topics that turn ARM's resource writes and deletes into Microsoft.Resources events.
 */
export class LocalEventGrid {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: ResourceStore,
    private readonly entra: LocalEntra,
    private readonly targets: DeliveryTargets,
  ) {}

  /** Every delivery started so far has ended (tests wait on this before reading webhooks and queues). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private fanOut(
    topic: StoredResource,
    events: { event: DeliveredEvent; subject: string; type: string }[],
  ): void {
    for (const sub of subscriptionsOf(this.store, topic)) {
      for (const e of events) {
        if (
          !filterMatches(sub.properties.filter as Props, {
            subject: e.subject,
            eventType: e.type,
            fields: e.event,
          })
        )
          continue;
        const cloud = sub.properties.eventDeliverySchema === 'CloudEventSchemaV1_0';
        const work = deliver(sub, cloud ? asCloudEvent(e.event) : e.event, this.targets).then((why) => {
          this.deliveries.push({
            subscriptionId: sub.id,
            eventId: String(e.event.id),
            eventType: e.type,
            ...(why ? { error: why } : {}),
          });
        });
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      }
    }
  }

  /** POST /eventgrid/topics/{topic}/api/events: what EventGridPublisherClient sends. */
  readonly handle: RouteHandler = (req: LocalRequest) => {
    const m = /^\/eventgrid\/topics\/([^/]+)\/api\/events$/i.exec(req.url.pathname);
    if (!m) return undefined;
    if (req.method !== 'POST') return error(405, 'MethodNotAllowed', 'Only POST is supported.');
    const topic = this.store
      .all()
      .find((r) => r.type === 'Microsoft.EventGrid/topics' && r.name.toLowerCase() === m[1].toLowerCase());
    if (!topic) return error(404, 'NotFound', `The topic '${m[1]}' does not exist.`);
    const keys = topic.properties.keys as { key1: string; key2: string };
    const key = req.headers['aeg-sas-key'];
    const token = bearerToken(req);
    if (key !== undefined) {
      if (topic.properties.disableLocalAuth === true)
        return error(401, 'Unauthorized', 'Local authentication (keys) is disabled for this topic.');
      if (key !== keys.key1 && key !== keys.key2)
        return error(401, 'Unauthorized', 'The request authorization key is not authorized for this topic.');
    } else if (token) {
      const verdict = this.entra.verifyAccessToken(token, [EVENT_GRID_AUDIENCE]);
      if (!verdict.ok) return error(401, 'Unauthorized', verdict.why);
    } else {
      return error(401, 'Unauthorized', 'The request has no aeg-sas-key header and no bearer token.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString('utf8'));
    } catch {
      return error(400, 'BadRequest', 'The request body is not JSON.');
    }
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as Props[];
    const cloud = topic.properties.inputSchema === 'CloudEventSchemaV1_0';
    const events: { event: DeliveredEvent; subject: string; type: string }[] = [];
    for (const e of list) {
      if (cloud) {
        if (e.specversion !== '1.0' || !e.id || !e.source || !e.type)
          return error(400, 'BadRequest', 'Each CloudEvent needs specversion 1.0, id, source and type.');
        events.push({ event: e, subject: String(e.subject ?? ''), type: String(e.type) });
      } else {
        if (!e.id || !e.subject || !e.eventType || !e.eventTime || !e.dataVersion)
          return error(
            400,
            'BadRequest',
            'Each event needs id, subject, eventType, eventTime and dataVersion.',
          );
        events.push({
          event: { ...e, topic: topic.id },
          subject: String(e.subject),
          type: String(e.eventType),
        });
      }
    }
    this.fanOut(topic, events);
    return { status: 200 };
  };

  /** ARM finished writing or deleting a resource: its subscription's and group's system topics publish it. */
  resourceEvent(kind: 'write' | 'delete', resource: StoredResource, tenantId: string): void {
    const id = resource.id;
    const [, , sub, , rg] = id.split('/');
    const sources = [`/subscriptions/${sub}`, `/subscriptions/${sub}/resourceGroups/${rg}`].map((s) =>
      s.toLowerCase(),
    );
    const operationType = resource.type.split('/').slice(0, 1).join('/');
    for (const topic of this.store.all()) {
      if (topic.type !== 'Microsoft.EventGrid/systemTopics') continue;
      if (!sources.includes(String(topic.properties.source).toLowerCase())) continue;
      const type =
        kind === 'write'
          ? 'Microsoft.Resources.ResourceWriteSuccess'
          : 'Microsoft.Resources.ResourceDeleteSuccess';
      const event: DeliveredEvent = {
        id: randomUUID(),
        topic: topic.properties.source,
        subject: id,
        eventType: type,
        eventTime: new Date().toISOString(),
        data: {
          resourceProvider: operationType,
          resourceUri: id,
          operationName: `${resource.type}/${kind}`,
          status: 'Succeeded',
          subscriptionId: sub,
          tenantId,
        },
        dataVersion: '',
        metadataVersion: '1',
      };
      this.fanOut(topic, [{ event, subject: id, type }]);
    }
  }
}

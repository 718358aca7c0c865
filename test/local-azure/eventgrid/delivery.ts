import { randomUUID } from 'node:crypto';
import * as https from 'node:https';
import { QueueClient, StorageSharedKeyCredential } from '@azure/storage-queue';
import type { LocalStorageAccount } from '../arm/providers/disks';
import type { StoredResource } from '../arm/store';

type Props = Record<string, unknown>;

/** An event as a subscription receives it, in the subscription's schema. */
export type DeliveredEvent = Record<string, unknown>;

/** Where the local Event Grid sends events: webhooks over HTTPS, storage queues in Azurite. */
export interface DeliveryTargets {
  /** PEM of the CA the local Azure trusts for webhooks (tests serve webhooks with the local Azure's own cert). */
  ca: string;
  storageAccounts: () => LocalStorageAccount[];
  queueEndpoint?: (account: string) => string;
}

function post(
  url: string,
  ca: string,
  method: 'POST' | 'OPTIONS',
  body: string | undefined,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/**
 * The endpoint validation Event Grid does before it accepts a webhook subscription: for the CloudEvents schema the
 * abuse-protection OPTIONS handshake (WebHook-Request-Origin / WebHook-Allowed-Origin), for the Event Grid schema a
 * SubscriptionValidationEvent whose validationCode must come back as validationResponse.
 */
export async function validateWebhook(
  url: string,
  schema: string,
  topic: string,
  ca: string,
): Promise<string | undefined> {
  try {
    if (schema === 'CloudEventSchemaV1_0') {
      const answer = await post(url, ca, 'OPTIONS', undefined, {
        'WebHook-Request-Origin': 'eventgrid.azure.net',
      });
      const allowed = String(answer.headers['webhook-allowed-origin'] ?? '');
      return answer.status === 200 && (allowed === 'eventgrid.azure.net' || allowed === '*')
        ? undefined
        : `the OPTIONS handshake answered ${answer.status} without WebHook-Allowed-Origin`;
    }
    const code = randomUUID();
    const event = {
      id: randomUUID(),
      topic,
      subject: '',
      data: { validationCode: code, validationUrl: '' },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      metadataVersion: '1',
      dataVersion: '2',
    };
    const answer = await post(url, ca, 'POST', JSON.stringify([event]), {
      'Content-Type': 'application/json',
      'aeg-event-type': 'SubscriptionValidation',
    });
    const response = (JSON.parse(answer.body || '{}') as { validationResponse?: string }).validationResponse;
    return answer.status === 200 && response === code
      ? undefined
      : `the validation event was answered ${answer.status} without its validationCode`;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Sends one event to a subscription's destination; answers the failure (Event Grid would retry and count it). */
export async function deliver(
  subscription: StoredResource,
  event: DeliveredEvent,
  targets: DeliveryTargets,
): Promise<string | undefined> {
  const destination = subscription.properties.destination as { endpointType?: string; properties?: Props };
  const p = destination.properties ?? {};
  try {
    if (destination.endpointType === 'WebHook') {
      const cloud = subscription.properties.eventDeliverySchema === 'CloudEventSchemaV1_0';
      const answer = await post(
        String(p.endpointUrl),
        targets.ca,
        'POST',
        JSON.stringify(cloud ? event : [event]),
        {
          'Content-Type': cloud ? 'application/cloudevents+json; charset=utf-8' : 'application/json',
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': subscription.name.toUpperCase(),
        },
      );
      if (answer.status < 200 || answer.status > 299)
        throw new Error(`the webhook answered ${answer.status}`);
    } else if (destination.endpointType === 'StorageQueue') {
      const accountId = String(p.resourceId).toLowerCase();
      const account = targets.storageAccounts().find((a) => a.id.toLowerCase() === accountId);
      if (!account || !targets.queueEndpoint)
        throw new Error(`storage account ${String(p.resourceId)} has no queue service here`);
      const queue = new QueueClient(
        `${targets.queueEndpoint(account.name)}/${String(p.queueName)}`,
        new StorageSharedKeyCredential(account.name, account.key),
      );
      // Event Grid writes each event as one message: its JSON, base64-encoded as queue clients expect.
      await queue.sendMessage(Buffer.from(JSON.stringify(event)).toString('base64'));
    } else {
      // Service Bus and Event Hubs have no emulator here: their delivery is counted, not exercised.
      throw new Error(`delivery to ${String(destination.endpointType)} is not exercised by the local Azure`);
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

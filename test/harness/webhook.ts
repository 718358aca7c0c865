import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A subscriber's webhook: answers Event Grid's handshakes and keeps what it receives. */
export function startWebhook(tls: { cert: string; key: string }) {
  const received: Record<string, unknown>[] = [];
  const server = https.createServer(tls, (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin'] ?? '') });
      res.end();
      return;
    }
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown> | Record<string, unknown>[];
      const events = Array.isArray(body) ? body : [body];
      const validation = events.find(
        (e) => e.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent',
      );
      if (validation) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            validationResponse: (validation.data as { validationCode: string }).validationCode,
          }),
        );
        return;
      }
      received.push(...events);
      res.writeHead(200);
      res.end();
    });
  });
  return new Promise<{ url: string; received: typeof received; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
        received,
        close: () => server.close(),
      }),
    ),
  );
}

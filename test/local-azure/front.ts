import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './arm/faults';
import type { LocalAnswer, LocalRequest, RouteHandler } from './http';

export interface RecordedExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
}

/**
 * Every ARM exchange of every local Azure started in this process (the whole test run), for the check against
 * Azure's own specs at the end of the run (test/fidelity/).
 */
export const suiteTraffic: RecordedExchange[] = [];

export interface FrontOptions {
  faults: FaultInjector;
  /** Every request's method, path and status, for tests that count calls. */
  requests: { method: string; path: string; status: number }[];
  /** When set, every ARM exchange is kept here for validation against the specs. */
  recorded?: RecordedExchange[];
  baseUrl: () => string;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, answer: LocalAnswer): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let payload: string | undefined;
  if (answer.body !== undefined) {
    payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}

export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function parseJson(body: Buffer): unknown {
  if (!body.length) return undefined;
  try {
    return JSON.parse(body.toString()) as unknown;
  } catch {
    return body.toString();
  }
}

/** The Content-Type send() adds to a body, so the recording shows what the client really got. */
function contentType(answer: LocalAnswer): Record<string, string> {
  const has = Object.keys(answer.headers ?? {}).some((h) => h.toLowerCase() === 'content-type');
  return answer.body !== undefined && !has ? { 'Content-Type': 'application/json; charset=utf-8' } : {};
}

/**
 * The HTTP front of the local Azure: connection-reset faults, body reading, the first route that answers, a 404
 * in ARM's shape otherwise, and the request log and recording.
 */
export function httpFront(routeList: RouteHandler[], front: FrontOptions) {
  const { faults, requests, recorded } = front;
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // A path starting '//' would parse as a host; ARM treats repeated slashes as one.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    if (faults.take(method, url.pathname, ['reset'])) {
      req.socket.destroy();
      return;
    }
    try {
      const body = await readBody(req);
      const local: LocalRequest = { method, url, headers: req.headers, body };
      let answer: LocalAnswer | undefined;
      for (const route of routeList) {
        answer = await route(local);
        if (answer) break;
      }
      answer ??= {
        status: 404,
        body: { error: { code: 'NotFound', message: `No route for ${method} ${url.pathname}` } },
      };
      requests.push({ method, path: url.pathname, status: answer.status });
      if (url.pathname.startsWith('/subscriptions/')) {
        const exchange: RecordedExchange = {
          method,
          url: `${front.baseUrl()}${req.url}`,
          requestHeaders: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          requestBody: parseJson(body),
          status: answer.status,
          responseHeaders: { ...(answer.headers ?? {}), ...contentType(answer) },
          responseBody: typeof answer.body === 'string' ? parseJson(Buffer.from(answer.body)) : answer.body,
        };
        suiteTraffic.push(exchange);
        recorded?.push(exchange);
      }
      send(res, answer);
    } catch (e) {
      send(res, {
        status: 500,
        body: { error: { code: 'InternalServerError', message: (e as Error).message } },
      });
    }
  };
}

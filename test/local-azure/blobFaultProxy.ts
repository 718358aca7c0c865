import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';

/**
 * A fault-injecting front for Azurite: real HTTP in and out, with rules that answer a matching request with an
 * error (or a dropped connection) instead of forwarding it, or corrupt a forwarded response body. Azurite has no
 * fault injection of its own; this is what lets a test prove the uploader's per-range retry and read-back check.
 */
export interface BlobFaultRule {
  /** Which requests: method and a test on the path + query (e.g. /comp=page/). */
  method: string;
  match: RegExp;
  /** How many matching requests get the fault (default 1). */
  count?: number;
  fault: 'serverError' | 'reset' | 'corruptBody';
}

export interface BlobFaultProxy {
  /** The Azurite URL rewritten to go through the proxy. */
  url(azuriteUrl: string): string;
  add(rule: BlobFaultRule): void;
  readonly fired: { method: string; path: string; fault: BlobFaultRule['fault'] }[];
  /** Every byte that passed, both ways (bodies only): proves what a client did or did not move. */
  readonly traffic: { requests: number; bytesUp: number; bytesDown: number };
  /** The same, request by request, with the caller's User-Agent: tells a task's traffic from Azurite's own. */
  readonly exchanges: {
    method: string;
    path: string;
    userAgent: string;
    bytesUp: number;
    bytesDown: number;
  }[];
  stop(): Promise<void>;
}

/**
 * `tls`: serve HTTPS with this certificate and reach Azurite over HTTPS trusting `ca` (Azurite started with
 * blobOAuth), so the front can read what passes, as it does over HTTP.
 */
export async function startBlobFaultProxy(
  azuritePort: number,
  tls?: { cert: string; key: string; ca: string },
): Promise<BlobFaultProxy> {
  const rules: (BlobFaultRule & { remaining: number })[] = [];
  const fired: BlobFaultProxy['fired'] = [];
  const take = (method: string, path: string) => {
    const rule = rules.find((r) => r.remaining > 0 && r.method === method && r.match.test(path));
    if (!rule) return undefined;
    rule.remaining--;
    fired.push({ method, path, fault: rule.fault });
    return rule.fault;
  };
  const traffic = { requests: 0, bytesUp: 0, bytesDown: 0 };
  const exchanges: BlobFaultProxy['exchanges'] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = req.url ?? '/';
    traffic.requests++;
    const exchange = {
      method: req.method ?? 'GET',
      path,
      userAgent: String(req.headers['user-agent'] ?? ''),
      bytesUp: 0,
      bytesDown: 0,
    };
    exchanges.push(exchange);
    req.on('data', (c: Buffer) => {
      traffic.bytesUp += c.length;
      exchange.bytesUp += c.length;
    });
    const fault = take(req.method ?? 'GET', path);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'serverError') {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml', 'x-ms-error-code': 'InternalError' });
      res.end(
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>InternalError</Code><Message>Injected by the local Azure.</Message></Error>',
      );
      return;
    }
    const request = tls ? https.request : http.request;
    const upstream = request(
      { host: '127.0.0.1', port: azuritePort, method: req.method, path, headers: req.headers, ca: tls?.ca },
      (answer) => {
        answer.on('data', (c: Buffer) => {
          traffic.bytesDown += c.length;
          exchange.bytesDown += c.length;
        });
        if (fault !== 'corruptBody') {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          if (body.length > 0) body[Math.floor(body.length / 2)] ^= 0xff;
          // The service's Content-MD5 would give the flip away; a silently corrupt read is what is simulated.
          const headers = { ...answer.headers };
          delete headers['content-md5'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
    : http.createServer(handler);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (azuriteUrl) => azuriteUrl.replace(`:${azuritePort}/`, `:${port}/`),
    add: (rule) => rules.push({ ...rule, remaining: rule.count ?? 1 }),
    fired,
    traffic,
    exchanges,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

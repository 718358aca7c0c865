import type { IncomingHttpHeaders } from 'node:http';

export interface LocalRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface LocalAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: unknown;
}

/** A route owner answers what it knows and returns undefined for the rest. */
export type RouteHandler = (req: LocalRequest) => Promise<LocalAnswer | undefined> | LocalAnswer | undefined;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): LocalAnswer {
  return { status, body, headers };
}

export function formBody(req: LocalRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

export function jsonBody(req: LocalRequest): unknown {
  const text = req.body.toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export function bearerToken(req: LocalRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

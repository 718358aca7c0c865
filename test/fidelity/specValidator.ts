// Validates recorded ARM exchanges against Azure's own REST API specs (test/specs/) with Microsoft's oav, offline.
import * as path from 'node:path';
import { LiveValidator } from 'oav/dist/lib/liveValidation/liveValidator';
import type { RecordedExchange } from '../local-azure/front';

export const SPECS_DIR = path.resolve(__dirname, '../specs');
/** Where the test run leaves its ARM traffic for `npm run fidelity`. */
export const TRAFFIC_FILE = path.resolve(__dirname, '../../.tmp/arm-traffic.json');

export interface Violation {
  operationId: string;
  side: 'request' | 'response';
  code: string;
  path: string;
  message: string;
  /** How many exchanges showed this same violation. */
  count: number;
}

export interface FidelityReport {
  pairs: number;
  violations: Violation[];
  /** Exchanges no spec operation matches (LRO polls, routes without a spec file here), by method and route. */
  unmatched: { route: string; count: number }[];
}

let validator: Promise<LiveValidator> | undefined;

/** One validator per process: loading the specs takes a few seconds. */
export function specValidator(): Promise<LiveValidator> {
  return (validator ??= (async () => {
    const v = new LiveValidator(
      {
        directory: SPECS_DIR,
        swaggerPathsPattern: ['specification/**/*.json'],
        excludedSwaggerPathsPattern: ['**/examples/**', '**/common-types/**'],
        git: { shouldClone: false },
        isArmCall: true,
        isPathCaseSensitive: false,
        loadValidatorInBackground: false,
        loadValidatorInInitialize: true,
      },
      () => undefined,
    );
    await v.initialize();
    return v;
  })());
}

/** The route of an exchange with ids and names replaced, so unmatched calls group by kind. */
function routeOf(e: RecordedExchange): string {
  const u = new URL(e.url);
  const shape = u.pathname
    .split('/')
    .map((part, i, all) =>
      i > 0 && i % 2 === 0 && all[i - 1] && !/^providers$/i.test(all[i - 1]) ? '{}' : part,
    )
    .join('/');
  return `${e.method} ${shape}`;
}

function headersOf(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Every exchange validated on both sides; violations deduplicated by operation, side, code, path and message. */
export async function validateTraffic(traffic: RecordedExchange[]): Promise<FidelityReport> {
  const v = await specValidator();
  const violations = new Map<string, Violation>();
  const unmatched = new Map<string, number>();
  const record = (v: Omit<Violation, 'count'>) => {
    const key = [v.operationId, v.side, v.code, v.path, v.message].join('|');
    const seen = violations.get(key);
    if (seen) seen.count++;
    else violations.set(key, { ...v, count: 1 });
  };
  for (const e of traffic) {
    const result = await v.validateLiveRequestResponse({
      liveRequest: {
        url: e.url,
        method: e.method.toLowerCase(),
        headers: headersOf(e.requestHeaders),
        body: e.requestBody as Record<string, unknown>,
      },
      liveResponse: {
        statusCode: String(e.status),
        headers: headersOf(e.responseHeaders),
        body: e.responseBody as Record<string, unknown>,
      },
    });
    const sides = [
      ['request', result.requestValidationResult],
      ['response', result.responseValidationResult],
    ] as const;
    const operationId = result.requestValidationResult.operationInfo?.operationId ?? '';
    // oav names a call no spec operation matches 'unknownOperationId' with an OPERATION_NOT_FOUND_* exception.
    const notFound = [result.requestValidationResult, result.responseValidationResult].some((r) =>
      String(r.runtimeException?.code ?? '').startsWith('OPERATION_NOT_FOUND'),
    );
    if (notFound || !operationId || operationId === 'unknownOperationId') {
      const route = routeOf(e);
      unmatched.set(route, (unmatched.get(route) ?? 0) + 1);
      continue;
    }
    for (const [side, r] of sides) {
      for (const issue of r.errors) {
        // A client's Content-Type header on a request without a body describes nothing (arm-eventgrid sends one
        // on GET, where its spec declares no media types); the content type of bodies is still judged.
        if (side === 'request' && issue.code === 'INVALID_CONTENT_TYPE' && e.requestBody === undefined)
          continue;
        const p = issue.pathsInPayload?.[0] ?? issue.jsonPathsInPayload?.[0] ?? '';
        record({ operationId, side, code: String(issue.code), path: p, message: issue.message });
      }
      if (r.runtimeException)
        record({
          operationId,
          side,
          code: String(r.runtimeException.code),
          path: '',
          message: r.runtimeException.message,
        });
    }
  }
  return {
    pairs: traffic.length,
    violations: [...violations.values()],
    unmatched: [...unmatched.entries()]
      .map(([route, count]) => ({ route, count }))
      .sort((a, b) => b.count - a.count),
  };
}

export function formatViolation(v: Violation): string {
  return `${v.operationId} ${v.side} ${v.code} at '${v.path}': ${v.message}${v.count > 1 ? ` (x${v.count})` : ''}`;
}

import { isRestError } from '@azure/core-rest-pipeline';
import { redactText } from './redact';

export interface AzureErrorDescription {
  code?: string;
  message: string;
  statusCode?: number;
  correlationId?: string;
  requestId?: string;
}

interface ArmErrorBody {
  code?: string;
  message?: string;
  details?: ArmErrorBody[];
}

function armErrorFrom(value: unknown): ArmErrorBody | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const record = value as { error?: unknown; code?: unknown; message?: unknown };
  const inner = (record.error && typeof record.error === 'object' ? record.error : record) as ArmErrorBody;
  return typeof inner.code === 'string' || typeof inner.message === 'string' ? inner : undefined;
}

/** ARM nests the real cause in `details`; users need the innermost messages, not just "DeploymentFailed". */
function flattenDetails(body: ArmErrorBody): string[] {
  const lines: string[] = [];
  for (const detail of body.details ?? []) {
    if (detail.message) lines.push(detail.code ? `${detail.code}: ${detail.message}` : detail.message);
    lines.push(...flattenDetails(detail));
  }
  return lines;
}

/**
 * Azure fails in two shapes: a RestError whose `details` is the ARM error body, and the plain Error a
 * failed long-running operation throws (arm-compute's poller puts "code: message" style text in it).
 */
export function describeAzureError(e: unknown): AzureErrorDescription {
  if (isRestError(e)) {
    const body = armErrorFrom(e.details) ?? armErrorFrom(safeJson(e.response?.bodyAsText));
    const details = body ? flattenDetails(body) : [];
    const message = [body?.message ?? e.message, ...details].filter(Boolean).join(' | ');
    return {
      code: body?.code ?? e.code,
      message: redactText(message),
      statusCode: e.statusCode,
      correlationId: e.response?.headers.get('x-ms-correlation-request-id') ?? undefined,
      requestId: e.response?.headers.get('x-ms-request-id') ?? undefined,
    };
  }
  if (e instanceof Error) {
    const withCode = e as Error & { code?: unknown };
    const parsed = armErrorFrom(safeJson(e.message));
    return {
      code: typeof withCode.code === 'string' ? withCode.code : parsed?.code,
      message: redactText(parsed?.message ?? e.message),
    };
  }
  return { message: redactText(String(e)) };
}

function safeJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One line a user can act on and support can trace: "context: (Code) message [correlation id: …]". */
export function formatAzureError(e: unknown, context?: string): string {
  const d = describeAzureError(e);
  const parts = [context ? `${context}:` : '', d.code ? `(${d.code})` : '', d.message];
  const ids = [
    d.statusCode ? `HTTP ${d.statusCode}` : '',
    d.correlationId ? `correlation id ${d.correlationId}` : '',
  ].filter(Boolean);
  return parts.filter(Boolean).join(' ') + (ids.length ? ` [${ids.join(', ')}]` : '');
}

/** A failure of an Azure operation on a known resource. */
export class AzureOperationError extends Error {
  constructor(
    readonly resourceId: string,
    message: string,
    readonly azureCode?: string,
  ) {
    super(message);
    this.name = 'AzureOperationError';
  }
}

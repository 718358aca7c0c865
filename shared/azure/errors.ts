import { isRestError } from '@azure/core-rest-pipeline';
import { redactText } from './redact';
import { InputError } from '../validation/inputError';

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
  if (e instanceof StepError) {
    const cause = formatAzureError(e.cause);
    return `${context ? `${context}: ` : ''}${e.step} failed: ${cause}${e.left ? `. ${e.left}` : ''}`;
  }
  const d = describeAzureError(e);
  const parts = [context ? `${context}:` : '', d.code ? `(${d.code})` : '', d.message];
  const ids = [
    d.statusCode ? `HTTP ${d.statusCode}` : '',
    d.correlationId ? `correlation id ${d.correlationId}` : '',
  ].filter(Boolean);
  return parts.filter(Boolean).join(' ') + (ids.length ? ` [${ids.join(', ')}]` : '');
}

/**
 * A failure with the step it happened in ("granting write access to disk 'd1'") and, when something is left on
 * purpose or could not be removed, what and in which state. Users need to know where a run stopped, not only
 * the transport error ("socket hang up") of the last call.
 */
export class StepError extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
    readonly left?: string,
  ) {
    super(`${step} failed`);
    this.name = 'StepError';
  }
}

/**
 * Runs one step of a task; an error leaves it named by the step. Input errors, inner steps and cancellation (the
 * signal aborted, or an AbortError) pass as they are.
 */
export async function step<T>(description: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const cancelled = signal?.aborted || (e instanceof Error && e.name === 'AbortError');
    if (cancelled || e instanceof StepError || e instanceof InputError) throw e;
    throw new StepError(description, e);
  }
}

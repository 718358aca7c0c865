import * as tl from 'azure-pipelines-task-lib/task';
import { _vault } from 'azure-pipelines-task-lib/internal';
import { registerSecret } from './secrets';
import { InputError } from '../validation/inputError';
import { parseDurationSeconds } from '../validation/duration';
import { normalizeRegion } from '../azure/regions';
import { parseResourceId, type ResourceId } from '../azure/resourceId';

/*
 * Typed input readers. Each takes the literal input name first (a test checks every name read here is
 * declared in task.json and every declared input is read) and throws InputError naming the input.
 */

function raw(name: string): string | undefined {
  const value = tl.getInput(name, false);
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function readString(name: string, options: { required: true; default?: string }): string;
export function readString(
  name: string,
  options?: { required?: boolean; default?: string },
): string | undefined;
export function readString(
  name: string,
  options: { required?: boolean; default?: string } = {},
): string | undefined {
  const value = raw(name) ?? options.default;
  if (options.required && value === undefined) throw new InputError(name, 'is required');
  return value;
}

export function readBoolean(name: string, defaultValue = false): boolean {
  const value = raw(name);
  if (value === undefined) return defaultValue;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new InputError(name, `'${value}' is not a boolean; use true or false`);
}

export function readEnum<T extends string>(name: string, allowed: readonly T[], defaultValue?: T): T {
  const value = raw(name) ?? defaultValue;
  if (value === undefined) throw new InputError(name, `is required; one of ${allowed.join(', ')}`);
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match) throw new InputError(name, `'${value}' is not one of ${allowed.join(', ')}`);
  return match;
}

export function readInt(name: string, options: { min: number; max: number; default?: number }): number {
  const value = raw(name);
  if (value === undefined) {
    if (options.default === undefined) throw new InputError(name, 'is required');
    return options.default;
  }
  if (!/^-?\d+$/.test(value)) throw new InputError(name, `'${value}' is not a whole number`);
  const n = Number(value);
  if (n < options.min || n > options.max) {
    throw new InputError(name, `${n} is out of range; it must be between ${options.min} and ${options.max}`);
  }
  return n;
}

export function readResourceId(name: string, options: { required: true; expectedType?: string }): ResourceId;
export function readResourceId(
  name: string,
  options?: { required?: boolean; expectedType?: string },
): ResourceId | undefined;
export function readResourceId(
  name: string,
  options: { required?: boolean; expectedType?: string } = {},
): ResourceId | undefined {
  const value = raw(name);
  if (value === undefined) {
    if (options.required) throw new InputError(name, 'is required: give a full Azure resource id');
    return undefined;
  }
  return parseResourceId(value, { input: name, expectedType: options.expectedType });
}

export function readRegion(name: string, options: { required: true }): string;
export function readRegion(name: string, options?: { required?: boolean }): string | undefined;
export function readRegion(name: string, options: { required?: boolean } = {}): string | undefined {
  const value = readString(name, { required: options.required === true });
  return value === undefined ? undefined : normalizeRegion(name, value);
}

/** Items separated by new lines or commas, blanks dropped. */
export function readList(name: string): string[] {
  return (raw(name) ?? '')
    .split(/[\r\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Raw lines (for inputs whose lines carry their own commas, such as `westeurope=2,Standard_ZRS`). */
export function readLines(name: string): string[] {
  return (raw(name) ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

export function readDuration(
  name: string,
  options: { defaultSeconds?: number; maxSeconds?: number } = {},
): number {
  const value = raw(name);
  if (value === undefined) {
    if (options.defaultSeconds === undefined) throw new InputError(name, 'is required');
    return options.defaultSeconds;
  }
  const seconds = parseDurationSeconds(name, value);
  if (options.maxSeconds !== undefined && seconds > options.maxSeconds) {
    throw new InputError(name, `${value} is longer than the allowed ${options.maxSeconds} seconds`);
  }
  return seconds;
}

/** Key=value pairs, one per line (tags). */
export function readKeyValues(name: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of readLines(name)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new InputError(name, `line '${line}' is not key=value`);
    result[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return result;
}

export function readPath(
  name: string,
  options: { required?: boolean; mustExist?: boolean } = {},
): string | undefined {
  const value = readString(name, { required: options.required === true });
  if (value !== undefined && options.mustExist && !tl.exist(value)) {
    throw new InputError(name, `file '${value}' does not exist on the agent`);
  }
  return value;
}

/** A calendar date or full timestamp (`2027-12-31`, `2027-12-31T00:00:00Z`). */
export function readDate(name: string): Date | undefined {
  const value = raw(name);
  if (value === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InputError(name, `'${value}' is not a date; write e.g. 2027-12-31`);
  return date;
}

/**
 * A secret typed into an input (a VM password, a key). tl.getInput writes every value it reads to the debug
 * log; the agent masks secret *variables*, not literals, so a secret is read from task-lib's store directly and
 * registered before anything can print it.
 */
export function readSecret(name: string, options: { required: true; mask?: 'all' | 'query' }): string;
export function readSecret(
  name: string,
  options?: { required?: boolean; mask?: 'all' | 'query' },
): string | undefined;
/**
 * `mask: 'query'` is for an input that is a resource id or a URL that may carry a SAS: only the query is
 * registered as a secret, so ids and blob paths stay readable in the log.
 */
export function readSecret(
  name: string,
  options: { required?: boolean; mask?: 'all' | 'query' } = {},
): string | undefined {
  const key = `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
  const value = (_vault?.retrieveSecret(key) ?? '').trim() || undefined;
  registerSecret(options.mask === 'query' ? value?.split('?')[1] : value);
  if (options.required && value === undefined) throw new InputError(name, 'is required');
  return value;
}

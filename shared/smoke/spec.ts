import Ajv, { type ErrorObject, type JSONSchemaType } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { InputError } from '../validation/inputError';

/*
 * The check spec of SmokeTestImage: a YAML file listing what must be true inside a VM booted from the image.
 * Each check is one of a few kinds, told apart by the key that names its subject (package, service, file, port,
 * command, sysctl, user, group); every error names the file and line.
 */
export type CheckKind = 'package' | 'service' | 'file' | 'port' | 'command' | 'sysctl' | 'user' | 'group';

export interface PackageCheck {
  kind: 'package';
  name: string;
  package: string;
  version?: string;
}
export interface ServiceCheck {
  kind: 'service';
  name: string;
  service: string;
  enabled?: boolean;
  active?: boolean;
}
export interface FileCheck {
  kind: 'file';
  name: string;
  file: string;
  present?: boolean;
  mode?: string;
  owner?: string;
  contains?: string;
  matches?: string;
}
export interface PortCheck {
  kind: 'port';
  name: string;
  port: number;
  protocol?: 'tcp' | 'udp';
}
export interface CommandCheck {
  kind: 'command';
  name: string;
  command: string;
  exitCode?: number;
  output?: string;
}
export interface SysctlCheck {
  kind: 'sysctl';
  name: string;
  sysctl: string;
  value: string;
}
export interface UserCheck {
  kind: 'user';
  name: string;
  user: string;
  present?: boolean;
  groups?: string[];
}
export interface GroupCheck {
  kind: 'group';
  name: string;
  group: string;
  present?: boolean;
}

export type Check =
  PackageCheck | ServiceCheck | FileCheck | PortCheck | CommandCheck | SysctlCheck | UserCheck | GroupCheck;

export interface CheckSpec {
  os: 'linux' | 'windows';
  /** Add the hardening baseline's checks (the rules BuildImage's baseline applies). */
  baseline: boolean;
  checks: Check[];
}

export const CHECK_KINDS: readonly CheckKind[] = [
  'package',
  'service',
  'file',
  'port',
  'command',
  'sysctl',
  'user',
  'group',
];

type Raw = Record<string, unknown>;
const str = { type: 'string', minLength: 1 } as const;

/** One schema per kind: only its own keys, so a typo (`contians`) is an error, not a check that passes. */
const KIND_SCHEMAS: Record<CheckKind, object> = {
  package: {
    properties: {
      package: str,
      version: { type: 'string', pattern: '^\\s*(>=|<=|=|>|<|!=)?\\s*[^\\s]+\\s*$' },
    },
    required: ['package'],
  },
  service: {
    properties: { service: str, enabled: { type: 'boolean' }, active: { type: 'boolean' } },
    required: ['service'],
  },
  file: {
    properties: {
      file: { type: 'string', pattern: '^(/|[A-Za-z]:\\\\)' },
      present: { type: 'boolean' },
      mode: { type: 'string', pattern: '^0?[0-7]{3,4}$' },
      owner: str,
      contains: { type: 'string' },
      matches: str,
    },
    required: ['file'],
  },
  port: {
    properties: { port: { type: 'integer', minimum: 1, maximum: 65535 }, protocol: { enum: ['tcp', 'udp'] } },
    required: ['port'],
  },
  command: {
    properties: { command: str, exitCode: { type: 'integer', minimum: 0, maximum: 255 }, output: str },
    required: ['command'],
  },
  sysctl: {
    properties: {
      sysctl: { type: 'string', pattern: '^[A-Za-z0-9_.\\-/]+$' },
      value: { type: ['string', 'number'] },
    },
    required: ['sysctl', 'value'],
  },
  user: {
    properties: { user: str, present: { type: 'boolean' }, groups: { type: 'array', items: str } },
    required: ['user'],
  },
  group: { properties: { group: str, present: { type: 'boolean' } }, required: ['group'] },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = Object.fromEntries(
  CHECK_KINDS.map((kind) => {
    const schema = KIND_SCHEMAS[kind] as { properties: Record<string, object>; required: string[] };
    return [
      kind,
      ajv.compile({
        type: 'object',
        properties: { name: str, ...schema.properties },
        required: ['name', ...schema.required],
        additionalProperties: false,
      }),
    ];
  }),
);
const validateTop = ajv.compile({
  type: 'object',
  properties: {
    os: { enum: ['linux', 'windows'] },
    baseline: { type: 'boolean' },
    checks: { type: 'array' },
  },
  required: ['checks'],
  additionalProperties: false,
} as unknown as JSONSchemaType<{ os?: string; baseline?: boolean; checks: unknown[] }>);

/** Reads and checks a spec; every error is an InputError naming `input`, the file and the line. */
export function parseCheckSpec(input: string, fileName: string, text: string): CheckSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) =>
    offset === undefined ? fileName : `${fileName}:${lineCounter.linePos(offset).line}`;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new InputError(input, `${at(e.pos[0])}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  const nodeAt = (path: (string | number)[]): Node | undefined => {
    let node: unknown = doc.contents;
    for (const key of path) {
      if (isMap(node)) node = node.get(key, true);
      else if (isSeq(node)) node = node.get(Number(key), true);
      else return undefined;
    }
    return node as Node | undefined;
  };
  const lineOf = (path: (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(path.slice(0, n));
      if (node?.range) return at(node.range[0]);
    }
    return fileName;
  };
  const raw = doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(
      input,
      `${fileName}: expected a mapping with 'checks:' (and optional 'os:', 'baseline:')`,
    );
  const describe = (e: ErrorObject, base: (string | number)[]) => {
    const path = [...base, ...e.instancePath.split('/').filter(Boolean)];
    const where = lineOf(path);
    if (e.keyword === 'additionalProperties')
      return `${where}: unknown key '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
    if (e.keyword === 'required')
      return `${where}: '${String((e.params as { missingProperty: string }).missingProperty)}' is required`;
    const key = path[path.length - 1];
    return `${where}: '${String(key)}' ${e.message ?? 'is not valid'}`;
  };
  if (!validateTop(raw)) throw new InputError(input, describe(validateTop.errors![0], []));
  const top = raw as { os?: 'linux' | 'windows'; baseline?: boolean; checks: unknown[] };
  const checks: Check[] = [];
  const names = new Set<string>();
  top.checks.forEach((item, index) => {
    const where = lineOf(['checks', index]);
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw new InputError(
        input,
        `${where}: a check is a mapping (name: …, and one of ${CHECK_KINDS.join(', ')})`,
      );
    const check = item as Raw;
    const kinds = CHECK_KINDS.filter((k) => k in check);
    if (kinds.length === 0) {
      const keys = Object.keys(check).filter((k) => k !== 'name');
      throw new InputError(
        input,
        `${where}: unknown check type${keys.length ? ` '${keys[0]}'` : ''}: a check names one of ${CHECK_KINDS.join(', ')}`,
      );
    }
    if (kinds.length > 1)
      throw new InputError(
        input,
        `${where}: a check has one subject, not ${kinds.join(' and ')}; split it in two`,
      );
    const kind = kinds[0];
    if (typeof check.name !== 'string' || !check.name.trim())
      throw new InputError(
        input,
        `${where}: the check has no name: give every check a 'name:' (it is the test's name in the results)`,
      );
    const validate = validators[kind];
    if (!validate(check)) throw new InputError(input, describe(validate.errors![0], ['checks', index]));
    if (names.has(check.name))
      throw new InputError(input, `${where}: two checks are named '${check.name}'; names must be unique`);
    names.add(check.name);
    if (kind === 'file' && typeof check.matches === 'string') {
      try {
        new RegExp(check.matches);
      } catch {
        throw new InputError(
          input,
          `${lineOf(['checks', index, 'matches'])}: 'matches' is not a valid regular expression`,
        );
      }
    }
    if ((top.os ?? 'linux') === 'windows' && (kind === 'sysctl' || (kind === 'file' && 'mode' in check))) {
      throw new InputError(
        input,
        `${where}: '${kind === 'sysctl' ? 'sysctl' : 'mode'}' is a Linux check; this spec is for Windows (os: windows)`,
      );
    }
    checks.push({
      ...(check as object),
      kind,
      ...(kind === 'sysctl' ? { value: String(check.value) } : {}),
    } as Check);
  });
  if (checks.length === 0 && top.baseline !== true)
    throw new InputError(input, `${fileName}: no checks: list at least one, or set 'baseline: true'`);
  return { os: top.os ?? 'linux', baseline: top.baseline === true, checks };
}

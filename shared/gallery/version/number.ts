import { InputError } from '../../validation/inputError';

/*
 * Gallery image version names are Major.Minor.Patch, each part a 32-bit signed integer (0..2,147,483,647).
 * They are compared as numbers, never as strings: 1.10.0 is newer than 1.9.0.
 */
export const INT32_MAX = 2_147_483_647;

export type VersionParts = readonly [number, number, number];

/** Parses a version name, or says exactly what is wrong with it, naming the input. */
export function parseVersion(input: string, text: string): VersionParts {
  const parts = text.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InputError(
      input,
      `'${text}' is not a gallery image version: use Major.Minor.Patch with three whole numbers, e.g. 1.4.2`,
    );
  }
  const numbers = parts.map((p) => Number(p));
  const tooBig = numbers.findIndex((n) => n > INT32_MAX);
  if (tooBig >= 0) {
    throw new InputError(
      input,
      `'${text}': the ${['major', 'minor', 'patch'][tooBig]} part ${parts[tooBig]} is larger than ${INT32_MAX}, the most Azure allows (a 32-bit integer)`,
    );
  }
  return numbers as unknown as VersionParts;
}

/** Parses a name Azure returned; undefined for anything that is not Major.Minor.Patch. */
export function tryParseVersion(text: string): VersionParts | undefined {
  try {
    return parseVersion('version', text);
  } catch {
    return undefined;
  }
}

export function formatVersion(v: VersionParts): string {
  return v.join('.');
}

/** Numeric order: negative when a is older than b. */
export function compareVersions(a: VersionParts, b: VersionParts): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Version names sorted newest first, numerically; names that are not versions are left out. */
export function newestFirst(names: Iterable<string>): string[] {
  return [...names]
    .map((name) => ({ name, parts: tryParseVersion(name) }))
    .filter((v): v is { name: string; parts: VersionParts } => v.parts !== undefined)
    .sort((a, b) => compareVersions(b.parts, a.parts))
    .map((v) => v.name);
}

/**
 * The next patch after the highest existing version, within `majorMinor` ("1.4") when given; `1.4.0` or
 * `0.0.1`-style starts when nothing exists yet.
 */
export function nextPatch(existing: Iterable<string>, majorMinor?: string): VersionParts {
  let base: [number, number] | undefined;
  if (majorMinor) {
    const parts = majorMinor.trim().split('.');
    if (parts.length !== 2 || parts.some((p) => !/^\d+$/.test(p) || Number(p) > INT32_MAX)) {
      throw new InputError(
        'versionMajorMinor',
        `'${majorMinor}' is not Major.Minor (two whole numbers up to ${INT32_MAX}, e.g. 1.4)`,
      );
    }
    base = [Number(parts[0]), Number(parts[1])];
  }
  const candidates = newestFirst(existing)
    .map((n) => tryParseVersion(n)!)
    .filter((v) => !base || (v[0] === base[0] && v[1] === base[1]));
  const highest = candidates[0];
  if (!highest) return base ? [base[0], base[1], 0] : [1, 0, 0];
  if (highest[2] >= INT32_MAX) {
    throw new InputError(
      'versionMajorMinor',
      `the highest version ${formatVersion(highest)} has the largest patch number Azure allows; raise the minor version`,
    );
  }
  return [highest[0], highest[1], highest[2] + 1];
}

/**
 * A version from the pipeline's build number: three numbers as they are (`1.4.17`), or a date-based number
 * `yyyyMMdd.r` (Azure Pipelines' default format `$(Date:yyyyMMdd).$(Rev:r)`) as `yyyy.MMdd.r`.
 */
export function versionFromBuildNumber(buildNumber: string | undefined): VersionParts {
  const input = 'versionStrategy';
  if (!buildNumber) {
    throw new InputError(
      input,
      'buildNumber needs the Build.BuildNumber variable, which this job does not have',
    );
  }
  const numbers = buildNumber.match(/\d+/g) ?? [];
  if (numbers.length === 3) return parseVersion(input, numbers.join('.'));
  if (numbers.length === 2 && /^\d{8}$/.test(numbers[0])) {
    return parseVersion(input, `${numbers[0].slice(0, 4)}.${Number(numbers[0].slice(4))}.${numbers[1]}`);
  }
  throw new InputError(
    input,
    `build number '${buildNumber}' does not make a Major.Minor.Patch version: set the pipeline's name to e.g. ` +
      `'$(Date:yyyyMMdd).$(Rev:r)' or '1.4.$(Rev:r)', or choose the version explicitly`,
  );
}

import { InputError } from './inputError';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Accepts what people type in a pipeline: `90` (seconds), `90s`, `45m`, `2h`, `1d`, `1h30m`, or ISO 8601
 * `PT2H30M` (what ARM and Image Builder use). Returns seconds.
 */
export function parseDurationSeconds(input: string, value: string): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (iso && text.length > 1 && !/T$/i.test(text)) {
    const [, d, h, m, s] = iso.map((x) => Number(x ?? 0));
    return d * 86400 + h * 3600 + m * 60 + s;
  }
  const parts = [...text.matchAll(/(\d+)\s*([smhd])/gi)];
  if (
    parts.length > 0 &&
    parts
      .map((p) => p[0])
      .join('')
      .replace(/\s/g, '') === text.replace(/\s/g, '')
  ) {
    return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2].toLowerCase()], 0);
  }
  throw new InputError(
    input,
    `'${value}' is not a duration; write e.g. 90m, 2h, 1h30m, 3600 (seconds) or PT2H`,
  );
}

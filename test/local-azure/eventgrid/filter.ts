type Props = Record<string, unknown>;

/** The parts of an event a subscription filter looks at. */
export interface FilterableEvent {
  subject: string;
  eventType: string;
  /** The whole event, for advanced filters keyed by `data.x`, `subject`, `eventType`, ... */
  fields: Props;
}

function valueAt(fields: Props, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Props)[k] : undefined), fields);
}

/**
 * Event Grid's filter: subject prefix and suffix (case-insensitive unless asked), included event types, and the
 * advanced filters every one of which must match (StringIn, StringNotIn, StringBeginsWith, StringEndsWith,
 * StringContains, BoolEquals, NumberIn).
 */
export function filterMatches(filter: Props | undefined, event: FilterableEvent): boolean {
  if (!filter) return true;
  const sensitive = filter.isSubjectCaseSensitive === true;
  const norm = (s: string) => (sensitive ? s : s.toLowerCase());
  const begins = filter.subjectBeginsWith as string | undefined;
  const ends = filter.subjectEndsWith as string | undefined;
  if (begins && !norm(event.subject).startsWith(norm(begins))) return false;
  if (ends && !norm(event.subject).endsWith(norm(ends))) return false;
  const types = filter.includedEventTypes as string[] | undefined;
  if (types?.length && !types.some((t) => t.toLowerCase() === event.eventType.toLowerCase())) return false;
  for (const f of (filter.advancedFilters as Props[] | undefined) ?? []) {
    const value = valueAt(event.fields, String(f.key));
    const text = String(value ?? '').toLowerCase();
    const values = ((f.values as unknown[] | undefined) ?? []).map((v) => String(v).toLowerCase());
    const ok = (() => {
      switch (f.operatorType) {
        case 'StringIn':
          return values.includes(text);
        case 'StringNotIn':
          return !values.includes(text);
        case 'StringBeginsWith':
          return values.some((v) => text.startsWith(v));
        case 'StringEndsWith':
          return values.some((v) => text.endsWith(v));
        case 'StringContains':
          return values.some((v) => text.includes(v));
        case 'BoolEquals':
          return value === f.value;
        case 'NumberIn':
          return values.includes(String(value));
        default:
          return false;
      }
    })();
    if (!ok) return false;
  }
  return true;
}

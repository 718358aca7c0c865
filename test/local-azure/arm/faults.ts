export type FaultKind = 'throttle' | 'serverError' | 'unavailable' | 'reset' | 'slow' | 'failOperation';

/**
 * One injected fault: the next `count` requests whose method and path match get it. `failOperation` makes
 * a long-running operation end Failed with `error` instead of answering the request itself with an error.
 */
export interface FaultRule {
  kind: FaultKind;
  path: RegExp;
  method?: string;
  count?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  error?: { code: string; message: string };
}

export class FaultInjector {
  private rules: (FaultRule & { remaining: number })[] = [];
  readonly fired: { kind: FaultKind; method: string; path: string }[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.count ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** Takes the first matching rule of one of `kinds`, counting it down. */
  take(method: string, path: string, kinds: FaultKind[]): FaultRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        kinds.includes(r.kind) &&
        (!r.method || r.method.toUpperCase() === method) &&
        r.path.test(path),
    );
    if (!rule) return undefined;
    rule.remaining--;
    this.fired.push({ kind: rule.kind, method, path });
    return rule;
  }
}

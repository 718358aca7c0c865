export type EnsureAction = 'created' | 'updated' | 'unchanged';

/** What a reconcile did, so a re-run can say "nothing changed" and the summary can list changes. */
export interface EnsureResult {
  id: string;
  action: EnsureAction;
  changes: string[];
}

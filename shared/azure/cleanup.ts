import type { Logger } from './logger';
import { formatAzureError } from './errors';

export interface CleanupReport {
  removed: string[];
  failed: { description: string; error: string }[];
  /** Deletes started on cancellation that had not finished when the budget ran out. */
  pending: string[];
}

interface Entry {
  description: string;
  undo: (signal: AbortSignal) => Promise<void>;
}

/**
 * Every temporary thing (SAS grant, snapshot, container, VM, resource group) is registered here the moment
 * it exists. The agent cancels with SIGINT and kills ~10 s later (SIGTERM after ~7.5 s), so on cancellation
 * the stack starts every undo at once and waits only for its budget: ARM accepts a delete in seconds and
 * finishes it in minutes, and what is still running is named so the user knows what to check.
 */
export class CleanupStack {
  private entries: Entry[] = [];

  constructor(private readonly logger: Logger) {}

  /** Registers an undo; returns a function that drops it once the thing is gone or is kept on purpose. */
  defer(description: string, undo: (signal: AbortSignal) => Promise<void>): () => void {
    const entry = { description, undo };
    this.entries.push(entry);
    return () => {
      this.entries = this.entries.filter((e) => e !== entry);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  async unwind(options: { cancelled?: boolean; budgetMs?: number } = {}): Promise<CleanupReport> {
    const entries = this.entries.reverse();
    this.entries = [];
    const report: CleanupReport = { removed: [], failed: [], pending: [] };
    if (entries.length === 0) return report;
    const controller = new AbortController();
    const run = async (entry: Entry) => {
      try {
        await entry.undo(controller.signal);
        report.removed.push(entry.description);
        this.logger.info(`Cleaned up ${entry.description}`);
      } catch (e) {
        const error = formatAzureError(e);
        report.failed.push({ description: entry.description, error });
        this.logger.warn(`Could not clean up ${entry.description}: ${error}`);
      }
    };
    if (!options.cancelled) {
      for (const entry of entries) await run(entry);
      return report;
    }
    const budgetMs = options.budgetMs ?? 6_000;
    const started = entries.map((entry) => ({ entry, done: run(entry).then(() => true) }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budgetMs);
    });
    await Promise.race([Promise.all(started.map((s) => s.done)), timeout]);
    clearTimeout(timer);
    // Freeze the report at the deadline: undos still running may finish later, but the task is ending.
    const finished = new Set([...report.removed, ...report.failed.map((f) => f.description)]);
    const frozen: CleanupReport = {
      removed: [...report.removed],
      failed: [...report.failed],
      pending: entries.map((e) => e.description).filter((d) => !finished.has(d)),
    };
    for (const description of frozen.pending) {
      this.logger.warn(
        `Cleanup of ${description} was started but had not finished when the task was stopped`,
      );
    }
    controller.abort();
    return frozen;
  }
}

/**
 * Creates an Azure resource whose failed or cancelled creation would leave it behind (in state Failed, or half
 * copied): its deletion is registered before the request is sent and dropped once the creation succeeded.
 */
export async function createOrRemove<T>(
  cleanup: CleanupStack | undefined,
  description: string,
  remove: (signal: AbortSignal) => Promise<unknown>,
  create: () => Promise<T>,
): Promise<T> {
  const drop = cleanup?.defer(description, async (signal) => {
    await remove(signal);
  });
  const created = await create();
  drop?.();
  return created;
}

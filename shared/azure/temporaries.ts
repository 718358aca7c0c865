import type { CleanupStack } from './cleanup';

interface Temporary {
  description: string;
  remove: (signal: AbortSignal) => Promise<unknown>;
  drop: () => void;
}

/**
 * The temporary resources of one piece of work (the snapshots and disks of one copy target). Each is on the run's
 * cleanup stack from before its creation is requested, so a failure or a cancellation anywhere removes it; when
 * the work is done they are removed here, newest first, and leave the stack one by one as each is gone.
 */
export class Temporaries {
  private items: Temporary[] = [];

  constructor(private readonly cleanup?: CleanupStack) {}

  /** Registers the removal, then creates: a creation that fails or is cancelled half way is removed too. */
  async create<T>(
    description: string,
    remove: (signal: AbortSignal) => Promise<unknown>,
    create: () => Promise<T>,
  ): Promise<T> {
    this.keep(description, remove);
    return create();
  }

  /** Takes charge of something that already exists (left by an earlier run and reused by this one). */
  keep(description: string, remove: (signal: AbortSignal) => Promise<unknown>): void {
    const drop = this.cleanup?.defer(description, async (signal) => {
      await remove(signal);
    });
    this.items.push({ description, remove, drop: drop ?? (() => undefined) });
  }

  /** Keeps everything on purpose (a VM left for debugging): off the cleanup stack, returned for the log. */
  release(): string[] {
    const kept = this.items.map((i) => i.description);
    for (const item of this.items) item.drop();
    this.items = [];
    return kept;
  }

  /** Removes everything, newest first; what cannot be removed stays on the run's stack for its final unwind. */
  async removeAll(signal: AbortSignal = new AbortController().signal): Promise<string[]> {
    const removed: string[] = [];
    while (this.items.length > 0) {
      const item = this.items[this.items.length - 1];
      await item.remove(signal);
      item.drop();
      this.items.pop();
      removed.push(item.description);
    }
    return removed;
  }
}

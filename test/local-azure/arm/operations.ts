import { randomUUID } from 'node:crypto';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  id: string;
  kind: 'put' | 'delete' | 'action';
  resourceId: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  finishAt: number;
  error?: { code: string; message: string };
  /** Body the Location URL answers once a POST action succeeded (e.g. grantAccess's SAS). */
  result?: unknown;
  /** Runs when the operation ends successfully: provisioningState Succeeded, the delete itself, ... */
  complete: () => unknown;
  /** Runs when it ends Failed. */
  fail?: () => void;
  /** Optional progress hook for long work (replication that advances region by region). */
  advance?: (now: number) => void;
  /** Work that ends when it ends (a VM booting): the operation waits for it as well as for `finishAt`. */
  until?: () => { done: boolean; error?: { code: string; message: string } };
}

/**
 * Long-running operations as ARM runs them: status at the Azure-AsyncOperation URL, final answer at the
 * Location URL. Time moves when anyone looks (each request ticks), so tests need no timers of their own.
 */
export class OperationEngine {
  private readonly ops = new Map<string, Operation>();

  start(op: Omit<Operation, 'id' | 'status' | 'startTime'>): Operation {
    const full: Operation = {
      ...op,
      id: randomUUID(),
      status: 'InProgress',
      startTime: new Date().toISOString(),
    };
    this.ops.set(full.id, full);
    this.tick();
    return full;
  }

  get(id: string): Operation | undefined {
    this.tick();
    return this.ops.get(id);
  }

  tick(now = Date.now()): void {
    for (const op of this.ops.values()) {
      if (op.status !== 'InProgress') continue;
      op.advance?.(now);
      if (now < op.finishAt) continue;
      const work = op.until?.();
      if (work && !work.done) continue;
      if (work?.error) op.error = work.error;
      op.endTime = new Date().toISOString();
      if (op.error) {
        op.status = 'Failed';
        op.fail?.();
      } else {
        op.status = 'Succeeded';
        op.result = op.complete();
      }
    }
  }

  inProgressFor(resourceId: string): Operation | undefined {
    this.tick();
    return [...this.ops.values()].find(
      (o) => o.status === 'InProgress' && o.resourceId.toLowerCase() === resourceId.toLowerCase(),
    );
  }
}

import assert from 'node:assert/strict';
import { CleanupStack } from '../../../shared/azure/cleanup';
import type { Logger } from '../../../shared/azure/logger';

function recordingLogger(lines: string[]): Logger {
  return {
    debug: () => undefined,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}

describe('cleanup stack', () => {
  it('undoes in reverse order and reports failures without stopping', async () => {
    const order: string[] = [];
    const lines: string[] = [];
    const stack = new CleanupStack(recordingLogger(lines));
    stack.defer('SAS grant on disk d1', async () => void order.push('sas'));
    stack.defer('snapshot s1', async () => {
      order.push('snapshot');
      throw new Error('snapshot is locked');
    });
    stack.defer('temporary VM vm1', async () => void order.push('vm'));
    const report = await stack.unwind();
    assert.deepEqual(order, ['vm', 'snapshot', 'sas']);
    assert.deepEqual(report.removed, ['temporary VM vm1', 'SAS grant on disk d1']);
    assert.equal(report.failed[0].description, 'snapshot s1');
    assert.match(report.failed[0].error, /snapshot is locked/);
    assert.ok(lines.some((l) => l.startsWith('WARN Could not clean up snapshot s1')));
    assert.equal(stack.size, 0);
  });

  it('forgets what was released on purpose', async () => {
    const stack = new CleanupStack(recordingLogger([]));
    let ran = false;
    const release = stack.defer('disk kept as the result', async () => void (ran = true));
    release();
    await stack.unwind();
    assert.equal(ran, false);
  });

  it('on cancellation starts every undo at once and names what is still pending when the budget ends', async () => {
    const lines: string[] = [];
    const stack = new CleanupStack(recordingLogger(lines));
    const started: string[] = [];
    stack.defer('resource group rg-build-1', (signal) => {
      started.push('rg');
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
    });
    stack.defer('SAS grant', async () => void started.push('sas'));
    const t0 = Date.now();
    const report = await stack.unwind({ cancelled: true, budgetMs: 150 });
    assert.ok(Date.now() - t0 < 1_000, 'the budget bounds the wait');
    assert.deepEqual(started.sort(), ['rg', 'sas']);
    assert.deepEqual(report.removed, ['SAS grant']);
    assert.deepEqual(report.pending, ['resource group rg-build-1']);
    assert.ok(lines.some((l) => /rg-build-1 was started but had not finished/.test(l)));
  });
});

import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeRun, leakedSecrets, runTask } from './runTask';

const SECRET = 'probe-Secret-Value-42';

describe('pipeline layer in a bundled task (progress, summary, outputs, secrets, cleanup, cancellation)', function () {
  this.timeout(60_000);
  let taskDir: string;

  before(async () => {
    taskDir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-task-'));
    const fixture = path.join(__dirname, 'fixtures', 'PipelineProbe');
    await esbuild.build({
      entryPoints: [path.join(fixture, 'index.ts')],
      outfile: path.join(taskDir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
    });
    fs.copyFileSync(path.join(fixture, 'task.json'), path.join(taskDir, 'task.json'));
  });
  after(() => fs.rmSync(taskDir, { recursive: true, force: true }));

  it('reports progress, attaches the summary, sets outputs and cleans up on success', async () => {
    const run = await runTask('PipelineProbe', { inputs: { secret: SECRET }, taskDir });
    assert.equal(run.result, 'Succeeded', describeRun(run));
    assert.deepEqual(
      run.progress.map((p) => p.percent),
      [0, 25, 50, 75, 100],
    );
    assert.equal(run.progress[0].text, 'Probing');
    assert.match(run.stdout, /^Probing: 50% \(step 2\)$/m);
    assert.match(run.summaries[0].content, /\| 1 \| 2 \|/);
    assert.deepEqual(run.variables.probeResult, { value: 'ok', isSecret: false, isOutput: true });
    assert.deepEqual(run.secrets, [SECRET]);
    assert.match(run.stdout, /probe resource removed/);
  });

  it('cleans up and fails on error; the secret in the error is registered so the agent masks it', async () => {
    const run = await runTask('PipelineProbe', { inputs: { secret: SECRET, fail: 'true' }, taskDir });
    assert.equal(run.result, 'Failed', describeRun(run));
    assert.match(run.stdout, /probe resource removed/);
    // The only raw occurrences are after the secret was registered with the agent, which masks them.
    const registration = `##vso[task.setsecret]${SECRET}`;
    assert.equal(
      run.stdout.indexOf(SECRET),
      run.stdout.indexOf(registration) + registration.length - SECRET.length,
      'registered before first use',
    );
    assert.deepEqual(
      leakedSecrets({ ...run, stdout: run.stdout.replace(/.*failing on purpose.*/g, '') }, [SECRET]),
      [],
    );
  });

  it('on SIGINT, as the agent cancels, unwinds the cleanup stack within the budget and reports cancellation', async () => {
    const run = await runTask('PipelineProbe', {
      inputs: { secret: SECRET, waitForCancel: 'true' },
      taskDir,
      cancelAfterMs: 1_500,
    });
    assert.match(run.stdout, /waiting for cancellation/);
    assert.equal(run.result, 'Failed', describeRun(run));
    assert.equal(run.resultMessage, 'PipelineProbe was cancelled');
    assert.match(run.stdout, /probe resource removed/);
    assert.ok(run.durationMs < 8_000, 'finished before the agent would kill it');
  });
});

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ESLint } from 'eslint';

// The rule that keeps azure-pipelines-task-lib behind shared/pipeline/ must really fail a file that breaks it.
describe('one door to the agent (lint)', () => {
  const root = path.resolve(__dirname, '../../..');
  const source =
    "import * as tl from 'azure-pipelines-task-lib/task';\nexport const v = tl.getVariable('X');\n";
  const lint = async (file: string) => {
    const [result] = await new ESLint({ cwd: root }).lintText(source, { filePath: path.join(root, file) });
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports');
  };

  it('fails an adapter or library file that imports azure-pipelines-task-lib', async function () {
    this.timeout(30_000);
    for (const file of ['tasks/ShareToGallery/probe.ts', 'shared/gallery/probe.ts', 'test/tasks/probe.ts']) {
      const messages = await lint(file);
      assert.equal(messages.length, 1, `${file} should be refused`);
      assert.match(messages[0].message, /Only shared\/pipeline\/ may import azure-pipelines-task-lib/);
    }
  });

  it('lets shared/pipeline/ import it', async function () {
    this.timeout(30_000);
    assert.deepEqual(await lint('shared/pipeline/probe.ts'), []);
  });
});

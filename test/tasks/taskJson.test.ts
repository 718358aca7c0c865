import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMA = path.resolve(ROOT, '../shared/reference/tasks.schema.json');
const TASKS = fs
  .readdirSync(path.join(ROOT, 'tasks'))
  .filter((t) => fs.existsSync(path.join(ROOT, 'tasks', t, 'task.json')));

interface TaskInput {
  name: string;
  type: string;
  helpMarkDown?: string;
  visibleRule?: string;
  groupName?: string;
  aliases?: string[];
}
interface TaskJson {
  id: string;
  name: string;
  execution: Record<string, { target: string }>;
  inputs: TaskInput[];
  groups?: { name: string }[];
  messages?: Record<string, string>;
  outputVariables?: { name: string }[];
  restrictions?: { settableVariables?: { allowed: string[] } };
  dataSourceBindings?: { target: string }[];
}

function readTask(task: string): TaskJson {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'tasks', task, 'task.json'), 'utf8')) as TaskJson;
}

/** The task's own sources: the entry point and any file beside it. */
function taskSources(task: string): string {
  const dir = path.join(ROOT, 'tasks', task);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

describe('task.json of every task', () => {
  it('finds all six tasks', () => {
    assert.deepEqual(TASKS.sort(), [
      'AnnounceImage',
      'BuildImage',
      'ConvertDisk',
      'CopyImage',
      'ShareToGallery',
      'SmokeTestImage',
    ]);
  });

  it('has unique GUIDs and names', () => {
    const ids = TASKS.map((t) => readTask(t).id.toLowerCase());
    assert.equal(new Set(ids).size, ids.length);
    for (const t of TASKS) assert.equal(readTask(t).name, t);
  });

  for (const task of TASKS) {
    describe(task, () => {
      const manifest = readTask(task);
      const inputNames = manifest.inputs.map((i) => i.name);

      it('validates against the official task.json schema', () => {
        if (!fs.existsSync(SCHEMA))
          assert.fail(`the schema is missing at ${SCHEMA}: the reference folder must sit beside the project`);
        const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }); // the schema's patterns are not valid in unicode mode (`\:`);
        const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
        assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
      });

      it('runs on the Node20_1 and Node24 handlers, on an existing entry point', () => {
        assert.deepEqual(Object.keys(manifest.execution).sort(), ['Node20_1', 'Node24']);
        for (const exec of Object.values(manifest.execution)) {
          assert.equal(exec.target, 'index.js');
          assert.ok(fs.existsSync(path.join(ROOT, 'tasks', task, 'index.ts')));
        }
        assert.ok(fs.existsSync(path.join(ROOT, 'tasks', task, 'icon.png')), 'icon.png');
      });

      it('names the service connection ConnectedServiceName with the azureSubscription alias', () => {
        const conn = manifest.inputs.find((i) => i.type === 'connectedService:AzureRM');
        assert.equal(conn?.name, 'ConnectedServiceName');
        assert.deepEqual(conn?.aliases, ['azureSubscription']);
      });

      it('helps with every input; groups, visible rules and data sources refer to what exists', () => {
        const groups = new Set((manifest.groups ?? []).map((g) => g.name));
        for (const input of manifest.inputs) {
          assert.ok(
            input.helpMarkDown && input.helpMarkDown.length > 20,
            `${input.name} has no useful helpMarkDown`,
          );
          if (input.groupName)
            assert.ok(groups.has(input.groupName), `${input.name}: unknown group ${input.groupName}`);
          for (const ref of input.visibleRule?.match(/[A-Za-z_]\w*(?=\s*(?:=|!=|<|>))/g) ?? []) {
            assert.ok(inputNames.includes(ref), `${input.name}: visibleRule names unknown input ${ref}`);
          }
        }
        for (const binding of manifest.dataSourceBindings ?? [])
          assert.ok(inputNames.includes(binding.target));
      });

      it('declares every input the code reads, and reads every input it declares', () => {
        const source = taskSources(task);
        const read = new Set([...source.matchAll(/\bread[A-Z]\w*\(\s*'(\w+)'/g)].map((m) => m[1]));
        // The connection is read through run.connect(), with its default input name.
        if (/\brun\.connect\(\)/.test(source)) read.add('ConnectedServiceName');
        for (const m of source.matchAll(/\brun\.connectOptional\(\s*'(\w+)'/g)) read.add(m[1]);
        assert.deepEqual(
          [...read].filter((n) => !inputNames.includes(n)),
          [],
          'read but not declared',
        );
        assert.deepEqual(
          inputNames.filter((n) => !read.has(n)),
          [],
          'declared but never read',
        );
      });

      it('declares its outputs and restricts settable variables to them', () => {
        const outputs = (manifest.outputVariables ?? []).map((o) => o.name);
        assert.deepEqual(manifest.restrictions?.settableVariables?.allowed.sort(), [...outputs].sort());
        const set = [...taskSources(task).matchAll(/setOutput\(\s*'(\w+)'/g)].map((m) => m[1]);
        assert.deepEqual(
          set.filter((n) => !outputs.includes(n)),
          [],
          'outputs set but not declared',
        );
      });

      it('uses exactly the messages it declares', () => {
        const used = new Set([...taskSources(task).matchAll(/tl\.loc\(\s*'(\w+)'/g)].map((m) => m[1]));
        assert.deepEqual([...used].sort(), Object.keys(manifest.messages ?? {}).sort());
      });
    });
  }

  it('vss-extension.json contributes every task and packs files that exist', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'vss-extension.json'), 'utf8')) as {
      contributions: { type: string; properties: { name: string } }[];
      files: { path: string }[];
      icons: { default: string };
    };
    const contributed = manifest.contributions
      .filter((c) => c.type === 'ms.vss-distributed-task.task')
      .map((c) => c.properties.name);
    assert.deepEqual(contributed.sort(), TASKS.map((t) => `tasks/${t}`).sort());
    for (const file of manifest.files.filter((f) => !f.path.endsWith('index.js'))) {
      assert.ok(fs.existsSync(path.join(ROOT, file.path)), `${file.path} is missing`);
    }
    assert.ok(fs.existsSync(path.join(ROOT, manifest.icons.default)));
  });
});

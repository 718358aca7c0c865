import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeRun, runTask } from '../harness/runTask';

const ROOT = path.resolve(__dirname, '../..');

/** One bad input per task: each must fail, naming the input, from the unpacked .vsix with nothing else installed. */
const BAD_INPUTS: Record<string, { inputs: Record<string, string>; message: RegExp }> = {
  ShareToGallery: {
    inputs: {
      resourceGroupName: 'rg',
      location: 'westeurope',
      galleryName: 'bad-name!',
      imageDefinition: 'def',
      osType: 'Linux',
      publisher: 'p',
      offer: 'o',
      sku: 's',
    },
    message: /Input 'galleryName': 'bad-name!' is not a valid gallery name/,
  },
  BuildImage: {
    inputs: { builder: 'Chef' },
    message: /Input 'builder': 'Chef' is not one of ImageBuilder, Packer/,
  },
  CopyImage: {
    inputs: { sourceImageId: 'my-image' },
    message: /Input 'sourceImageId': 'my-image' is not a valid Azure resource id/,
  },
  ConvertDisk: {
    inputs: { conversion: 'vhdToDisk', vhdPath: '/nonexistent/disk.vhd' },
    message: /Input 'vhdPath': file '\/nonexistent\/disk.vhd' does not exist/,
  },
  SmokeTestImage: { inputs: {}, message: /Input 'imageId': is required/ },
  AnnounceImage: {
    inputs: {
      imageVersionId:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/images/img',
    },
    message:
      /Input 'imageVersionId': .* expected a Microsoft.Compute\/galleries\/images\/versions, got a Microsoft.Compute\/images/,
  },
};

describe('packaged extension (.vsix)', function () {
  this.timeout(120_000);
  let unpacked: string;
  let packOutput: string;

  before(() => {
    packOutput = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const vsix = fs.readdirSync(path.join(ROOT, 'dist')).find((f) => f.endsWith('.vsix'));
    assert.ok(vsix, 'no .vsix in dist/');
    unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-'));
    execFileSync('unzip', ['-q', path.join(ROOT, 'dist', vsix), '-d', unpacked]);
  });
  after(() => unpacked && fs.rmSync(unpacked, { recursive: true, force: true }));

  it('prints the package size and holds a manifest, icons and every task', () => {
    assert.match(packOutput, /dist\/.*\.vsix \d+\.\d+ MiB \(\d+ bytes\)/);
    assert.ok(fs.existsSync(path.join(unpacked, 'extension.vsomanifest')));
    for (const task of Object.keys(BAD_INPUTS)) {
      for (const file of ['task.json', 'index.js', 'icon.png']) {
        assert.ok(fs.existsSync(path.join(unpacked, 'tasks', task, file)), `${task}/${file}`);
      }
    }
    // BuildImage applies the hardening baseline's scripts as files next to its bundle.
    for (const file of ['linux.sh', 'windows.ps1', 'rules.md'])
      assert.ok(
        fs.existsSync(path.join(unpacked, 'tasks/BuildImage/baseline', file)),
        `BuildImage/baseline/${file}`,
      );
  });

  for (const [task, bad] of Object.entries(BAD_INPUTS)) {
    it(`${task} runs from the unpacked package and fails on bad input, naming it`, async () => {
      const taskDir = path.join(unpacked, 'tasks', task);
      assert.ok(!fs.existsSync(path.join(taskDir, 'node_modules')), 'a bundle needs no node_modules');
      const run = await runTask(task, { inputs: { ConnectedServiceName: 'conn', ...bad.inputs }, taskDir });
      assert.equal(run.result, 'Failed', describeRun(run));
      assert.match(run.resultMessage ?? '', bad.message, describeRun(run));
    });
  }
});

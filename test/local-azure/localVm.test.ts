// The local VM boots a test image's own init with the host's kernel, and its agent runs scripts as root: what a
// check finds is what is in the image. One VM per image for the whole file (a TCG boot takes about 10 s).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTool } from '../harness/systemTools';
import { LocalVm } from './vm/localVm';
import { makeTestImage } from '../harness/testImage';

describe('the local VM (QEMU booting a test image, with the local VM agent)', function () {
  this.timeout(120_000);
  let dir: string;
  let vm: LocalVm;
  let bare: LocalVm;

  before(async function () {
    requireTool(this, 'qemu-system-x86_64');
    requireTool(this, 'busybox');
    requireTool(this, 'linux-kernel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-vm-'));
    const image = makeTestImage(dir, 'web', {
      files: { '/etc/motd': 'built by the tests\n', '/etc/app/config.ini': 'port=8080\n' },
      boot: ['mkdir -p /srv/www && httpd -p 8080 -h /srv/www'],
    });
    const noAgent = makeTestImage(dir, 'no-agent', { agent: false });
    [vm, bare] = await Promise.all([
      LocalVm.boot({ diskPath: image.vhd, workDir: dir }),
      LocalVm.boot({ diskPath: noAgent.vhd, workDir: dir }),
    ]);
  });
  after(async () => {
    await Promise.all([vm?.stop(), bare?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('boots the image and runs a script as root inside it: its files, its exit code, stderr apart', async () => {
    assert.equal(await vm.waitForAgent(90_000), true, vm.consoleLog());
    const result = await vm.run('id -u; cat /etc/motd; echo oops >&2; exit 3');
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout.toString(), '0\nbuilt by the tests\n');
    assert.equal(result.stderr.toString(), 'oops\n');
    assert.match(vm.consoleLog(), /local-vm: init started/);
  });

  it('returns output far beyond 4 KB in full, byte for byte', async () => {
    const result = await vm.run(
      'i=0; while [ $i -lt 3000 ]; do echo "line $i of the output"; i=$((i+1)); done',
    );
    const lines = result.stdout.toString().trim().split('\n');
    assert.equal(lines.length, 3000);
    assert.equal(lines[2999], 'line 2999 of the output');
    assert.ok(result.stdout.length > 60_000);
  });

  it('sees what the image started (a port listening), not what the host has', async () => {
    const result = await vm.run('netstat -ltn; test -f /etc/app/config.ini && echo config-present; hostname');
    assert.match(result.stdout.toString(), /:8080\s/);
    assert.match(result.stdout.toString(), /config-present\nlocal-vm\n$/);
  });

  it('kills a running script when asked (a cancelled Run Command)', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_000);
    const started = Date.now();
    const result = await vm.run('sleep 60; echo never', { signal: controller.signal });
    assert.equal(result.exitCode, 137);
    assert.ok(Date.now() - started < 20_000, 'stopped long before the script would have ended');
    assert.equal(result.stdout.toString(), '');
  });

  it('kills a script, and what it started, when the kill comes right behind the script (a build cancelled at once)', async () => {
    const controller = new AbortController();
    const running = vm.run('sleep 60 & sleep 60; echo never', { signal: controller.signal });
    controller.abort();
    const result = await running;
    assert.equal(result.exitCode, 137);
    assert.equal(result.stdout.toString(), '');
    const left = (await vm.run('ps | grep "[s]leep 60" || true')).stdout.toString();
    assert.equal(left, '', 'nothing the script started is still running');
  });

  it('runs scripts back to back without losing one (each answer is its own)', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await vm.run(`echo run-${i}`);
      assert.equal(result.stdout.toString(), `run-${i}\n`);
    }
  });

  it('an image without the agent boots but never becomes ready, and its console says how far it came', async () => {
    assert.equal(await bare.waitForAgent(5_000), false);
    for (let i = 0; i < 100 && !/boot finished/.test(bare.consoleLog()); i++)
      await new Promise((r) => setTimeout(r, 500));
    assert.match(bare.consoleLog(), /local-vm: boot finished/);
    await assert.rejects(bare.run('true'), /not ready/);
  });
});

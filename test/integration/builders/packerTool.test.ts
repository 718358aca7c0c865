// Packer from the agent's tool cache: downloaded from a releases server (a local one serving a real zip and its
// SHA256SUMS), checked, extracted and cached by azure-pipelines-tool-lib; found in the cache the second time.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

describe('Packer from the tool cache (azure-pipelines-tool-lib against a local releases server)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: http.Server;
  let base = '';
  const served: string[] = [];
  let tool: typeof import('../../../shared/pipeline/packerTool');
  const env: Record<string, string | undefined> = {};

  before(async function () {
    for (const [tool, args] of [
      ['unzip', ['-v']],
      ['zip', ['-v']],
    ] as const) {
      try {
        execFileSync(tool, [...args], { stdio: 'ignore' });
      } catch {
        if (process.env.CI) throw new Error(`${tool} is not installed; CI must have it: check .ci/run`);
        console.log(`    skipped: ${tool} is not installed (apt-get install -y ${tool})`);
        this.skip();
      }
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'packer-tool-'));
    // A "packer" whose version banner comes with an update notice, as real ones print.
    const build = path.join(dir, 'build');
    fs.mkdirSync(build);
    fs.writeFileSync(
      path.join(build, 'packer'),
      '#!/bin/sh\necho "Packer v1.11.2"\necho\necho "Your version of Packer is out of date! The latest version is 1.12.0."\n',
      { mode: 0o755 },
    );
    const zipName = 'packer_1.11.2_linux_amd64.zip';
    execFileSync('zip', ['-q', path.join(dir, zipName), 'packer'], { cwd: build });
    const zip = fs.readFileSync(path.join(dir, zipName));
    const sums = `${createHash('sha256').update(zip).digest('hex')}  ${zipName}\n`;
    server = http.createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url === `/1.11.2/${zipName}`) return res.end(zip);
      if (req.url === '/1.11.2/packer_1.11.2_SHA256SUMS') return res.end(sums);
      if (req.url === '/1.11.3/packer_1.11.3_linux_amd64.zip') return res.end(zip);
      if (req.url === '/1.11.3/packer_1.11.3_SHA256SUMS')
        return res.end(`${'0'.repeat(64)}  packer_1.11.3_linux_amd64.zip\n`);
      res.statusCode = 404;
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const [k, v] of Object.entries({
      AGENT_TOOLSDIRECTORY: path.join(dir, 'tools'),
      AGENT_TEMPDIRECTORY: path.join(dir, 'temp'),
    })) {
      env[k] = process.env[k];
      process.env[k] = v;
      fs.mkdirSync(v, { recursive: true });
    }
    // The tool library puts the cached Packer on PATH for the rest of the job; this test gives PATH back.
    env.PATH = process.env.PATH;
    tool = await import('../../../shared/pipeline/packerTool');
  });
  after(() => {
    server?.close();
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads, checks and caches the asked version, reads its version through the banner, and finds it cached next time', async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    const first = await tool.resolvePacker({ version: '1.11.2', releasesUrl: base });
    assert.equal(first.source, 'downloaded');
    assert.ok(first.path.startsWith(path.join(dir, 'tools', 'packer', '1.11.2')), first.path);
    assert.equal(tool.packerVersion(first.path), '1.11.2');
    const requests = served.length;
    const second = await tool.resolvePacker({ version: '1.11.2', releasesUrl: base });
    assert.equal(second.source, 'tool cache');
    assert.equal(served.length, requests, 'nothing downloaded the second time');
  });

  it('refuses a download that does not match its SHA256SUMS, and names a version that does not exist', async () => {
    await assert.rejects(
      tool.resolvePacker({ version: '1.11.3', releasesUrl: base }),
      /does not match its SHA256SUMS/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'tools', 'packer', '1.11.3')), false, 'nothing cached');
    await assert.rejects(
      tool.resolvePacker({ version: '9.9.9', releasesUrl: base }),
      /Input 'packerVersion': Packer 9\.9\.9 could not be downloaded/,
    );
    await assert.rejects(
      tool.resolvePacker({ version: 'latest' }),
      /Input 'packerVersion': 'latest' is not a Packer version/,
    );
  });
});

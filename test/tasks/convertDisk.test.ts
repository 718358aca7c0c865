import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BlobClient,
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import { describeRun, runTask } from '../harness/runTask';
import { makeTestImages, qemuImg, requireQemuImg } from '../unit/vhd/qemuImages';
import { serviceConnectionEnv } from '../harness/connections';

const CONNECTION_ID = 'conn';

describe('ConvertDisk task, vhdToDisk (bundle through the harness against local Azure + Azurite)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(async function () {
    requireQemuImg(this);
    ({ dir } = makeTestImages('convert-task-'));
    // A fixed VHD whose last 100 bytes were lost in a copy, and a raw image that is not whole sectors.
    const fixed = fs.readFileSync(file('fixed.vhd'));
    fs.writeFileSync(file('cut.vhd'), fixed.subarray(0, fixed.length - 100));
    fs.writeFileSync(
      file('odd.raw'),
      Buffer.concat([fs.readFileSync(file('data.raw')), Buffer.alloc(100, 0x5a)]),
    );
    azure = await startLocalAzure();
    azure.resourceGroup('rg-disks');
  });
  after(async () => {
    await azure?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const inputs = (overrides: Record<string, string> = {}) => ({
    ConnectedServiceName: CONNECTION_ID,
    conversion: 'vhdToDisk',
    vhdPath: file('fixed.vhd'),
    resourceGroupName: 'rg-disks',
    location: 'westeurope',
    targetName: 'disk-task',
    osType: 'Linux',
    hyperVGeneration: 'V2',
    sku: 'StandardSSD_LRS',
    ...overrides,
  });
  const env = (extra: Record<string, string> = {}) => ({
    ...serviceConnectionEnv(azure, 'federated', CONNECTION_ID),
    VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
    ...extra,
  });

  it('uploads, reports progress and a summary, outputs the disk id, and never prints the SAS', async () => {
    const run = await runTask('ConvertDisk', { inputs: inputs(), env: env({ SYSTEM_DEBUG: 'true' }) });
    assert.equal(run.result, 'Succeeded', describeRun(run));
    assert.match(run.variables.resourceId.value, /\/providers\/Microsoft\.Compute\/disks\/disk-task$/);
    assert.equal(run.progress[run.progress.length - 1]?.percent, 100);
    assert.match(run.summaries[0].content, /bytes sent \| 16\.0 MiB \(8\.0 MiB of zeros skipped\)/);
    // The SAS was registered as a secret, and no signature appears anywhere else.
    const sas = run.secrets.find((s) => s.includes('sig='));
    assert.ok(sas, 'the SAS URL is registered as a secret');
    const signature = new URL(sas).searchParams.get('sig')!;
    const printed = run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(
      printed.filter((l) => l.includes(signature)),
      [],
    );
    // system.debug logs the grant itself (whose answer carries the SAS) without the SAS.
    assert.ok(
      printed.some((l) => /HTTP POST https:\/\/127\.0\.0\.1:\d+\/.*\/beginGetAccess\?.* -> 202/.test(l)),
      describeRun(run),
    );
    assert.equal(azure.audit().find((r) => r.id.endsWith('/disk-task'))?.provisioningState, 'Succeeded');
  });

  it('converts a VHDX with qemu-img and a dynamic VHD in-process', async () => {
    for (const [source, name] of [
      ['disk.vhdx', 'disk-vhdx'],
      ['dynamic.vhd', 'disk-dyn'],
    ] as const) {
      const run = await runTask('ConvertDisk', {
        inputs: inputs({ vhdPath: file(source), targetName: name, verifyUpload: 'true' }),
        env: env(),
      });
      assert.equal(run.result, 'Succeeded', describeRun(run));
      assert.match(run.summaries[0].content, /converted from (vhdx|vhd-dynamic)/);
    }
  });

  /** A blob URL with a SAS in the second storage account, as a user would put in a secret variable. */
  async function exportTarget(blob: string, permissions: string): Promise<string> {
    const account = azure.blob!.accounts[1];
    const credential = new StorageSharedKeyCredential(account.name, account.key);
    const container = new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      credential,
    ).getContainerClient('exports');
    await container.createIfNotExists();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'exports',
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      credential,
    ).toString();
    return `${container.url}/${blob}?${sas}`;
  }

  it('exports the disk to a VHD blob server-side, then downloads it to a file equal to the original', async () => {
    const diskId = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-disks/providers/Microsoft.Compute/disks/disk-task`;
    const target = await exportTarget('disk-task.vhd', 'racw');
    const exported = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        conversion: 'toVhdBlob',
        sourceId: diskId,
        blobUrl: target,
      },
      env: env(),
    });
    assert.equal(exported.result, 'Succeeded', describeRun(exported));
    assert.equal(exported.variables.vhdUrl.value, target.split('?')[0]);
    const signature = new URL(target).searchParams.get('sig')!;
    assert.deepEqual(
      exported.stdout
        .split('\n')
        .filter((l) => l.includes(signature) && !l.startsWith('##vso[task.setsecret]')),
      [],
    );
    assert.equal(azure.audit().find((r) => r.id.endsWith('/disk-task'))?.provisioningState, 'Succeeded');

    const local = file('downloaded.vhd');
    const downloaded = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        conversion: 'blobToFile',
        blobUrl: await exportTarget('disk-task.vhd', 'r'),
        localPath: local,
      },
      env: env(),
    });
    assert.equal(downloaded.result, 'Succeeded', describeRun(downloaded));
    assert.ok(
      fs.readFileSync(local).equals(fs.readFileSync(file('fixed.vhd'))),
      'the round trip kept every byte',
    );

    const forged = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        conversion: 'toVhdBlob',
        sourceId: diskId,
        blobUrl: (await exportTarget('other.vhd', 'racw')).replace(/sig=[^&]+/, 'sig=Zm9yZ2Vk'),
      },
      env: env(),
    });
    assert.equal(forged.result, 'Failed', describeRun(forged));
    assert.match(
      forged.resultMessage ?? '',
      /Input 'blobUrl': the storage account refused the SAS of .*sig=REDACTED.* \(HTTP 403\)/,
    );

    const again = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        conversion: 'toVhdBlob',
        sourceId: diskId,
        blobUrl: target,
      },
      env: env(),
    });
    assert.equal(again.result, 'Failed');
    assert.match(again.resultMessage ?? '', /Input 'blobUrl': blob .*disk-task\.vhd already exists/);
    assert.doesNotMatch(again.resultMessage ?? '', new RegExp(signature.replace(/[^\w]/g, '.')));
  });

  /** Puts bytes into a blob of the given account (page or block) and returns its URL with a read SAS. */
  async function putBlob(
    accountIndex: number,
    name: string,
    bytes: Buffer,
    kind: 'page' | 'block' = 'page',
  ): Promise<string> {
    const account = azure.blob!.accounts[accountIndex];
    const credential = new StorageSharedKeyCredential(account.name, account.key);
    const container = new BlobServiceClient(
      azure.blob!.blobEndpoint(account.name),
      credential,
    ).getContainerClient('vhds');
    await container.createIfNotExists();
    if (kind === 'block') {
      await container.getBlockBlobClient(name).uploadData(bytes);
    } else {
      const page = container.getPageBlobClient(name);
      await page.create(Math.ceil(bytes.length / 512) * 512);
      for (let at = 0; at < bytes.length; at += 4 * 1024 * 1024) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + 4 * 1024 * 1024));
        if (chunk.some((b) => b !== 0)) await page.uploadPages(chunk, at, chunk.length);
      }
    }
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'vhds',
        blobName: name,
        permissions: BlobSASPermissions.parse('r'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      credential,
    ).toString();
    return `${container.url}/${name}?${sas}`;
  }

  it('imports VHD blobs into managed disks inside Azure, from this and another subscription, byte for byte', async () => {
    const rgId = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-disks/providers/Microsoft.Compute`;
    const original = fs.readFileSync(file('fixed.vhd'));
    const sameSubscription = await putBlob(0, 'fixed.vhd', original);
    const cases = [
      { blobUrl: sameSubscription, account: azure.blob!.accounts[0].name, targetName: 'disk-imported' },
      // Exported by the previous test into the second account, which lives in the second subscription.
      {
        blobUrl: await exportTarget('disk-task.vhd', 'r'),
        account: azure.blob!.accounts[1].name,
        targetName: 'disk-imported-2',
      },
    ];
    for (const c of cases) {
      const run = await runTask('ConvertDisk', {
        inputs: inputs({
          conversion: 'blobToDisk',
          blobUrl: c.blobUrl,
          storageAccountId: azure.storageAccountId(c.account),
          targetName: c.targetName,
          hyperVGeneration: 'V1',
        }),
        env: env(),
      });
      assert.equal(run.result, 'Succeeded', describeRun(run));
      assert.equal(run.variables.resourceId.value, `${rgId}/disks/${c.targetName}`);
      assert.match(
        run.summaries[0].content,
        /Imported .* \(24 MiB\) into .*Linux, Hyper-V V1, StandardSSD_LRS/,
      );
      const signature = new URL(c.blobUrl).searchParams.get('sig')!;
      assert.ok(run.secrets.includes(c.blobUrl), 'the SAS URL is registered as a secret');
      assert.deepEqual(
        run.stdout.split('\n').filter((l) => l.includes(signature) && !l.startsWith('##vso[task.setsecret]')),
        [],
      );
      const disk = azure.arm.store.get(`${rgId}/disks/${c.targetName}`)!;
      assert.equal(
        (disk.properties.creationData as { sourceUri: string }).sourceUri,
        c.blobUrl.split('?')[0],
      );
      assert.equal(disk.properties.hyperVGeneration, 'V1');
      const account = azure.blob!.accounts[0];
      const bytes = await new BlobClient(
        azure.diskBlobUrl(disk.id)!,
        new StorageSharedKeyCredential(account.name, account.key),
      ).downloadToBuffer();
      assert.ok(bytes.equals(original), `${c.targetName} holds every byte of the blob`);
    }
  });

  it('deletes the disk of an import that Azure fails, and says why', async () => {
    azure.faults.add({
      kind: 'failOperation',
      path: /\/disks\/disk-import-fails$/,
      method: 'PUT',
      error: { code: 'InternalDiskManagementError', message: 'The import could not read the blob.' },
    });
    const run = await runTask('ConvertDisk', {
      inputs: inputs({
        conversion: 'blobToDisk',
        blobUrl: await putBlob(0, 'fixed-again.vhd', fs.readFileSync(file('fixed.vhd'))),
        storageAccountId: azure.storageAccountId(azure.blob!.accounts[0].name),
        targetName: 'disk-import-fails',
      }),
      env: env(),
    });
    assert.equal(run.result, 'Failed', describeRun(run));
    assert.match(run.resultMessage ?? '', /InternalDiskManagementError|could not read the blob/);
    assert.equal(
      azure.audit().find((r) => r.id.endsWith('/disk-import-fails')),
      undefined,
      'the failed disk was deleted',
    );
  });

  it('snapshots the disk incrementally and makes a new disk from the snapshot, keeping generation and every byte', async () => {
    const rgId = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-disks/providers/Microsoft.Compute`;
    const common = { ConnectedServiceName: CONNECTION_ID, resourceGroupName: 'rg-disks' };
    const snap = await runTask('ConvertDisk', {
      inputs: {
        ...common,
        conversion: 'diskToSnapshot',
        sourceId: `${rgId}/disks/disk-task`,
        targetName: 'snap-task',
      },
      env: env(),
    });
    assert.equal(snap.result, 'Succeeded', describeRun(snap));
    assert.equal(snap.variables.resourceId.value, `${rgId}/snapshots/snap-task`);
    assert.match(snap.summaries[0].content, /incremental snapshot .* Linux, Hyper-V V2/);
    const disk = await runTask('ConvertDisk', {
      inputs: {
        ...common,
        conversion: 'snapshotToDisk',
        sourceId: `${rgId}/snapshots/snap-task`,
        targetName: 'disk-from-snap',
        sku: 'Premium_LRS',
      },
      env: env(),
    });
    assert.equal(disk.result, 'Succeeded', describeRun(disk));
    const account = azure.blob!.accounts[0];
    const copy = await new BlobClient(
      azure.diskBlobUrl(`${rgId}/disks/disk-from-snap`)!,
      new StorageSharedKeyCredential(account.name, account.key),
    ).downloadToBuffer();
    assert.ok(copy.equals(fs.readFileSync(file('fixed.vhd'))), 'disk -> snapshot -> disk kept every byte');

    // The snapshot itself exports to a VHD blob, server-side, and its read access is revoked afterwards.
    const snapTarget = await exportTarget('snap-task.vhd', 'racw');
    const snapExport = await runTask('ConvertDisk', {
      inputs: {
        ConnectedServiceName: CONNECTION_ID,
        conversion: 'toVhdBlob',
        sourceId: `${rgId}/snapshots/snap-task`,
        blobUrl: snapTarget,
      },
      env: env(),
    });
    assert.equal(snapExport.result, 'Succeeded', describeRun(snapExport));
    const exportedSnap = await new BlobClient(snapTarget).downloadToBuffer();
    assert.ok(
      exportedSnap.equals(fs.readFileSync(file('fixed.vhd'))),
      'snapshot -> VHD blob kept every byte',
    );
    assert.equal(azure.audit().find((r) => r.id.endsWith('/snapshots/snap-task'))?.openAccess, false);

    const wrongType = await runTask('ConvertDisk', {
      inputs: {
        ...common,
        conversion: 'snapshotToDisk',
        sourceId: `${rgId}/disks/disk-task`,
        targetName: 'never',
      },
      env: env(),
    });
    assert.equal(wrongType.result, 'Failed');
    assert.match(
      wrongType.resultMessage ?? '',
      /Input 'sourceId': expected a snapshot, got a Microsoft.Compute\/disks/,
    );
  });

  it('makes a managed image from an OS disk and a data snapshot, with the generation of its OS disk', async () => {
    const rgId = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-disks/providers/Microsoft.Compute`;
    const inputs = {
      ConnectedServiceName: CONNECTION_ID,
      conversion: 'toImage',
      sourceId: `${rgId}/disks/disk-from-snap`,
      dataDiskIds: `${rgId}/snapshots/snap-task`,
      resourceGroupName: 'rg-disks',
      targetName: 'image-task',
    };
    const run = await runTask('ConvertDisk', { inputs, env: env() });
    assert.equal(run.result, 'Succeeded', describeRun(run));
    assert.equal(run.variables.resourceId.value, `${rgId}/images/image-task`);
    assert.match(run.summaries[0].content, /Created managed image .* Linux, Hyper-V V2/);
    const image = azure.arm.store.get(`${rgId}/images/image-task`)!;
    assert.deepEqual((image.properties.storageProfile as { dataDisks: unknown[] }).dataDisks, [
      // LUN kept; caching, storage type and the size are what Azure fills in.
      {
        caching: 'None',
        storageAccountType: 'Standard_LRS',
        diskSizeGB: 1,
        snapshot: { id: `${rgId}/snapshots/snap-task` },
        lun: 0,
      },
    ]);

    const bad = await runTask('ConvertDisk', {
      inputs: { ...inputs, targetName: 'image-bad', dataDiskIds: 'not-an-id' },
      env: env(),
    });
    assert.equal(bad.result, 'Failed');
    assert.match(
      bad.resultMessage ?? '',
      /Input 'dataDiskIds': 'not-an-id' is not a valid Azure resource id/,
    );
    const again = await runTask('ConvertDisk', { inputs, env: env() });
    assert.match(again.resultMessage ?? '', /Input 'targetName': managed image 'image-task' already exists/);
  });

  it('cancelled during a qemu-img conversion: qemu-img is gone within 2 s, the partial files are deleted, nothing is created', async () => {
    // Real qemu-img, slowed by its own rate limit so the conversion is still running when the agent cancels.
    const realQemuImg = execFileSync('sh', ['-c', 'command -v qemu-img'], { encoding: 'utf8' }).trim();
    const bin = file('slow-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      path.join(bin, 'qemu-img'),
      `#!/bin/sh\ncmd="$1"; shift\nexec ${realQemuImg} "$cmd" -r 2M "$@"\n`,
      { mode: 0o755 },
    );
    const big = file('cancel-me.raw');
    fs.writeFileSync(big, Buffer.alloc(96 * 1024 * 1024, 0x5a));
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', big, file('cancel-me.qcow2'));
    fs.rmSync(big);
    const before = azure.audit().length;
    const running = () =>
      fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('cancel-me.qcow2');
          } catch {
            return false;
          }
        });
    let seenRunning = false;
    const watch = setInterval(() => (seenRunning ||= running().length > 0), 50);
    const run = await runTask('ConvertDisk', {
      inputs: inputs({ vhdPath: file('cancel-me.qcow2'), targetName: 'disk-cancelled' }),
      env: env({ PATH: `${bin}:${process.env.PATH}` }),
      cancelAfterMs: 2_500,
      keepWorkDir: true,
    }).finally(() => clearInterval(watch));
    try {
      assert.ok(seenRunning, 'qemu-img was converting when the task was cancelled');
      assert.equal(run.result, 'Failed', describeRun(run));
      assert.match(run.resultMessage ?? '', /ConvertDisk was cancelled/);
      assert.ok(
        run.durationMs - run.cancelledAtMs! < 2_000,
        `the task ended ${run.durationMs - run.cancelledAtMs!} ms after SIGINT`,
      );
      assert.deepEqual(running(), [], 'no qemu-img outlives the task');
      assert.deepEqual(
        fs.readdirSync(path.join(run.workDir!, '_temp')).filter((f) => /fixed|raw/.test(f)),
        [],
      );
      assert.equal(azure.audit().length, before, 'nothing was created in Azure');
    } finally {
      fs.rmSync(run.workDir!, { recursive: true, force: true });
    }
  });

  it('when the answer to a granted write access is lost: names the step, revokes the grant, deletes the disk', async () => {
    // Azure grants access (the disk goes ActiveUpload) but every read of the grant operation's result loses its connection, more
    // often than the client retries: the task sees only "socket hang up".
    azure.faults.add({
      kind: 'reset',
      method: 'GET',
      path: /\/locations\/[^/]+\/operationResults\//,
      count: 6,
    });
    const before = azure.audit().length;
    const run = await runTask('ConvertDisk', {
      inputs: inputs({ targetName: 'disk-grant-lost' }),
      env: env(),
      timeoutMs: 90_000,
    });
    azure.faults.clear();
    assert.equal(run.result, 'Failed', describeRun(run));
    assert.match(
      run.resultMessage ?? '',
      /^ConvertDisk: granting write access to disk 'disk-grant-lost' failed: .*(socket hang up|ECONNRESET)/,
    );
    assert.match(
      run.stdout,
      /Cleaned up incomplete disk disk-grant-lost \(write access revoked, disk deleted\)/,
    );
    assert.deepEqual(
      azure.audit().filter((r) => r.openAccess || r.id.endsWith('/disk-grant-lost')),
      [],
      'no disk and no open SAS is left',
    );
    assert.equal(azure.audit().length, before);
  });

  describe('bad input: a clear error naming the input, and nothing left behind', () => {
    const cases: [string, Record<string, string>, RegExp, Record<string, string>?][] = [
      [
        'file missing',
        { vhdPath: '/nonexistent/disk.vhd' },
        /Input 'vhdPath': file '\/nonexistent\/disk.vhd' does not exist/,
      ],
      ['not a VHD', { vhdPath: __filename, convertImage: 'false' }, /Input 'vhdPath': .* is not a VHD/],
      [
        'dynamic VHD with conversion off',
        { vhdPath: '$dynamic.vhd', convertImage: 'false' },
        /Input 'vhdPath': .* is a dynamic VHD; Azure takes fixed VHD only/,
      ],
      [
        'unaligned size with conversion off',
        { vhdPath: '$unaligned.vhd', convertImage: 'false' },
        /Input 'vhdPath': .* not a whole number of MiB/,
      ],
      [
        'a VHD cut short, with conversion on (never taken for a raw disk)',
        { vhdPath: '$cut.vhd' },
        /Input 'vhdPath': .*cut\.vhd' is a damaged VHD: its footer \(cookie 'conectix'\) is at byte \d+, 100 bytes after where it belongs .* cut short/,
      ],
      [
        'a raw image that is not a whole number of sectors',
        { vhdPath: '$odd.raw' },
        /Input 'vhdPath': .*odd\.raw' is taken for a raw disk image, but its size \(25165924 bytes\) is not a whole number of 512-byte sectors/,
      ],
      [
        'SAS duration above 60 days',
        { sasDuration: '61d' },
        /Input 'sasDuration': 61d is longer than the allowed 5184000 seconds/,
      ],
      ['unknown SKU', { sku: 'Gold_LRS' }, /Input 'sku': 'Gold_LRS' is not one of/],
      ['wrong OS type', { osType: 'Solaris' }, /Input 'osType': 'Solaris' is not one of Linux, Windows/],
      [
        'VHDX without qemu-img on the agent',
        { vhdPath: '$disk.vhdx' },
        /Input 'vhdPath': qemu-img is not installed on this agent: install qemu-utils/,
        { PATH: '/nonexistent' },
      ],
      [
        'target disk already exists',
        { targetName: 'disk-task' },
        /Input 'targetName': managed disk 'disk-task' already exists/,
      ],
      [
        'blob URL without access',
        {
          conversion: 'toVhdBlob',
          sourceId:
            '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-disks/providers/Microsoft.Compute/disks/disk-task',
          blobUrl: 'http://127.0.0.1:1/acct/c/b.vhd',
        },
        /Input 'blobUrl': .* carries no SAS token/,
      ],
      [
        'import: blob URL without read access',
        { conversion: 'blobToDisk', blobUrl: '@fixed.vhd', storageAccountId: '#0' },
        /Input 'blobUrl': the agent cannot read .* \(HTTP (401|403|404)/,
      ],
      [
        "import: storage account is not the blob's",
        { conversion: 'blobToDisk', blobUrl: '$blob:fixed.vhd', storageAccountId: '#1' },
        /Input 'storageAccountId': names storage account 'imagestore2' but the blob is in account 'devstoreaccount1'/,
      ],
      [
        'import: a block blob',
        { conversion: 'blobToDisk', blobUrl: '$block:fixed.vhd', storageAccountId: '#0' },
        /Input 'blobUrl': .* is a BlockBlob; Azure imports only page blobs/,
      ],
      [
        'import: a dynamic VHD blob',
        { conversion: 'blobToDisk', blobUrl: '$blob:dynamic.vhd', storageAccountId: '#0' },
        /Input 'blobUrl': .* is a dynamic VHD; Azure imports fixed VHDs only/,
      ],
      [
        'import: an unaligned VHD blob',
        { conversion: 'blobToDisk', blobUrl: '$blob:unaligned.vhd', storageAccountId: '#0' },
        /Input 'blobUrl': .* whole number of MiB/,
      ],
      [
        'import: missing storage account',
        { conversion: 'blobToDisk', blobUrl: '$blob:fixed.vhd' },
        /Input 'storageAccountId'/,
      ],
    ];
    for (const [what, overrides, message, extraEnv] of cases) {
      it(what, async () => {
        const resolved: Record<string, string> = {};
        for (const [k, v] of Object.entries(overrides)) {
          const [, kind, name] = /^\$(?:(blob|block):)?(.*)$/.exec(v) ?? [];
          if (kind)
            resolved[k] = await putBlob(
              0,
              `bad-${name}`,
              fs.readFileSync(file(name)),
              kind === 'blob' ? 'page' : 'block',
            );
          else if (name !== undefined) resolved[k] = file(name);
          else if (v.startsWith('@'))
            resolved[k] = (await putBlob(0, `nosas-${v.slice(1)}`, fs.readFileSync(file(v.slice(1))))).split(
              '?',
            )[0];
          else if (v.startsWith('#'))
            resolved[k] = azure.storageAccountId(azure.blob!.accounts[Number(v.slice(1))].name);
          else resolved[k] = v;
        }
        const before = azure.audit().length;
        const run = await runTask('ConvertDisk', {
          inputs: inputs({ targetName: 'never', ...resolved }),
          env: env(extraEnv),
        });
        assert.equal(run.result, 'Failed', describeRun(run));
        assert.match(run.resultMessage ?? '', message);
        assert.equal(azure.audit().length, before, 'no disk was created');
        assert.deepEqual(
          azure
            .audit()
            .filter((r) => r.openAccess)
            .map((r) => `${r.id} ${r.diskState}`),
          [],
          'no disk or snapshot is left with an open SAS',
        );
      });
    }
  });
});

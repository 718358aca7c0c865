import assert from 'node:assert/strict';
import type { GalleryImageVersion } from '@azure/arm-compute';
import { planRetention, retentionRequest } from '../../../shared/gallery/lifecycle/retention';
import { checkSourceAgainstDefinition } from '../../../shared/gallery/version/sourcePreflight';
import { parseTargetRegions, withHomeRegion } from '../../../shared/gallery/version/targetRegions';
import {
  compareVersions,
  newestFirst,
  nextPatch,
  parseVersion,
  versionFromBuildNumber,
} from '../../../shared/gallery/version/number';
import type { VersionSource } from '../../../shared/gallery/version/source';

describe('gallery image version numbers', () => {
  it('sorts numerically, never as strings', () => {
    assert.deepEqual(newestFirst(['1.9.0', '1.10.0', '1.2.10', '1.2.9', 'latest', '10.0.0']), [
      '10.0.0',
      '1.10.0',
      '1.9.0',
      '1.2.10',
      '1.2.9',
    ]);
    assert.ok(compareVersions(parseVersion('v', '1.10.0'), parseVersion('v', '1.9.0')) > 0);
  });

  it('accepts int32 parts and explains every other shape', () => {
    assert.deepEqual(parseVersion('version', '2147483647.0.1'), [2147483647, 0, 1]);
    assert.throws(
      () => parseVersion('version', '1.2'),
      /Input 'version': '1\.2' is not a gallery image version/,
    );
    assert.throws(() => parseVersion('version', '1.2.3.4'), /Major\.Minor\.Patch/);
    assert.throws(() => parseVersion('version', '1.-2.3'), /Major\.Minor\.Patch/);
    assert.throws(() => parseVersion('version', '1.2.x'), /Major\.Minor\.Patch/);
    assert.throws(
      () => parseVersion('version', '2147483648.0.0'),
      /major part 2147483648 is larger than 2147483647/,
    );
  });

  it('computes the next patch, within Major.Minor when asked', () => {
    assert.deepEqual(nextPatch([]), [1, 0, 0]);
    assert.deepEqual(nextPatch(['1.9.3', '1.10.0', '1.10.1']), [1, 10, 2]);
    assert.deepEqual(nextPatch(['1.9.3', '1.10.0'], '1.9'), [1, 9, 4]);
    assert.deepEqual(nextPatch(['1.9.3'], '2.0'), [2, 0, 0]);
    assert.throws(() => nextPatch([], '1'), /Input 'versionMajorMinor': '1' is not Major\.Minor/);
    assert.throws(() => nextPatch(['1.0.2147483647'], '1.0'), /largest patch number Azure allows/);
  });

  it('derives a version from the build number', () => {
    assert.deepEqual(versionFromBuildNumber('1.4.17'), [1, 4, 17]);
    assert.deepEqual(versionFromBuildNumber('20261125.3'), [2026, 1125, 3]);
    assert.deepEqual(versionFromBuildNumber('release_2.1.9'), [2, 1, 9]);
    assert.throws(
      () => versionFromBuildNumber('Nightly 42'),
      /Input 'versionStrategy': build number 'Nightly 42' does not make/,
    );
    assert.throws(() => versionFromBuildNumber(undefined), /Build\.BuildNumber/);
  });
});

describe('target regions', () => {
  it('reads name, replicas, storage type and excludeFromLatest, one region per line', () => {
    assert.deepEqual(
      parseTargetRegions('targetRegions', [
        'West Europe',
        'eastus=3 Standard_ZRS excludeFromLatest',
        'uksouth, japaneast=2',
      ]),
      [
        { name: 'westeurope' },
        { name: 'eastus', replicas: 3, storageAccountType: 'Standard_ZRS', excludeFromLatest: true },
        { name: 'uksouth' },
        { name: 'japaneast', replicas: 2 },
      ],
    );
    assert.deepEqual(withHomeRegion([{ name: 'eastus' }], 'westeurope'), [
      { name: 'westeurope' },
      { name: 'eastus' },
    ]);
  });

  it('names the input for each mistake', () => {
    assert.throws(
      () => parseTargetRegions('targetRegions', ['eastus=101']),
      /Input 'targetRegions': replica count 101 is outside 1\.\.100/,
    );
    assert.throws(
      () => parseTargetRegions('targetRegions', ['eastus=two']),
      /replica count 'two' is not a whole number/,
    );
    assert.throws(
      () => parseTargetRegions('targetRegions', ['eastus Gold_LRS']),
      /'Gold_LRS' is neither a storage account type/,
    );
    assert.throws(
      () => parseTargetRegions('targetRegions', ['eastus', 'East US']),
      /region 'eastus' is listed twice/,
    );
  });
});

describe('source pre-flight', () => {
  const definition = {
    name: 'ubuntu',
    osType: 'Linux',
    hyperVGeneration: 'V2',
    architecture: 'x64',
    securityType: 'TrustedLaunchSupported',
    location: 'westeurope',
  };
  const source = (over: Partial<VersionSource>): VersionSource => ({
    kind: 'disk',
    ref: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d',
    location: 'westeurope',
    osType: 'Linux',
    hyperVGeneration: 'V2',
    storageProfile: {},
    ...over,
  });
  it('accepts a matching source and refuses each mismatch, naming the source input', () => {
    checkSourceAgainstDefinition(source({}), definition);
    for (const [over, message] of [
      [{ osType: 'Windows' }, /is a Windows disk, but image definition 'ubuntu' is Linux/],
      [{ hyperVGeneration: 'V1' }, /generation V1, but image definition 'ubuntu' is V2/],
      [{ architecture: 'Arm64' }, /is Arm64, but image definition 'ubuntu' is x64/],
      [{ kind: 'managedImage' }, /is a managed image, which Azure does not accept/],
      [{ location: 'eastus' }, /is in eastus, but the gallery is in westeurope/],
    ] as const) {
      assert.throws(
        () => checkSourceAgainstDefinition(source(over), definition),
        (e: Error) => e.message.startsWith("Input 'source'") && message.test(e.message),
      );
    }
    checkSourceAgainstDefinition(source({ kind: 'managedImage' }), {
      ...definition,
      securityType: 'Standard',
    });
  });
});

describe('retention plan', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  const version = (name: string, regions: number, eol?: string): GalleryImageVersion => ({
    name,
    location: 'westeurope',
    publishingProfile: {
      targetRegions: [
        { name: 'westeurope', regionalReplicaCount: 1 },
        ...(regions > 1 ? [{ name: 'eastus', regionalReplicaCount: 2 }] : []),
      ],
      endOfLifeDate: eol ? new Date(eol) : undefined,
    },
  });
  it('keeps the newest N, deletes older versions past end of life, shrinks and stamps the rest', () => {
    const plan = planRetention(
      [
        version('1.4.0', 2),
        version('1.3.0', 2, '2026-01-01'),
        version('1.2.0', 2),
        version('1.1.0', 1),
        version('1.0.0', 1, '2026-06-01'),
      ],
      { keep: 2, shrinkOlder: true, endOfLifeAfterSeconds: 30 * 86400, deletePastEndOfLife: true },
      'westeurope',
      now,
    );
    assert.deepEqual(
      plan.map((s) => [s.version, s.action, s.why]),
      [
        ['1.4.0', 'keep', 'one of the newest 2'],
        ['1.3.0', 'keep', 'one of the newest 2'],
        ['1.2.0', 'update', 'shrink to 1 replica in westeurope, end of life 2026-12-25'],
        ['1.1.0', 'update', 'end of life 2026-12-25'],
        ['1.0.0', 'delete', 'end of life 2026-06-01 has passed'],
      ],
    );
    assert.throws(
      () =>
        retentionRequest({
          definition: { resourceGroup: 'rg', gallery: 'g', image: 'i' },
          policy: { keep: 0, shrinkOlder: false, deletePastEndOfLife: false },
          dryRun: true,
        }),
      /Input 'keepVersions': 0 must be a whole number of at least 1/,
    );
  });
});

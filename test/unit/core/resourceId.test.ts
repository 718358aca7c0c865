import assert from 'node:assert/strict';
import {
  formatResourceId,
  parseResourceId,
  resourceName,
  resourceType,
  sameResourceId,
} from '../../../shared/azure/resourceId';
import { InputError } from '../../../shared/validation/inputError';

const SUB = '3fd7a3ad-2e1f-4b93-a44a-2bc0298a0e7f';
const VERSION_ID = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/corp/images/ubuntu/versions/1.2.3`;

describe('resource ids', () => {
  it('parses nested ids and formats them back', () => {
    const id = parseResourceId(VERSION_ID, { input: 'sourceId' });
    assert.equal(id.subscriptionId, SUB);
    assert.equal(id.resourceGroup, 'rg-images');
    assert.equal(resourceType(id), 'Microsoft.Compute/galleries/images/versions');
    assert.deepEqual(id.names, ['corp', 'ubuntu', '1.2.3']);
    assert.equal(resourceName(id), '1.2.3');
    assert.equal(formatResourceId(id), VERSION_ID);
  });

  it('compares case-insensitively as ARM does', () => {
    assert.ok(sameResourceId(VERSION_ID.toUpperCase(), `${VERSION_ID}/`));
    const id = parseResourceId(VERSION_ID.replace('resourceGroups', 'RESOURCEGROUPS'), {
      input: 'x',
      expectedType: 'microsoft.compute/GALLERIES/images/versions',
    });
    assert.equal(id.resourceGroup, 'rg-images');
  });

  const bad: [string, string, RegExp][] = [
    ['no leading slash', 'subscriptions/x', /must start with '\/subscriptions\/'/],
    ['subscription not a GUID', '/subscriptions/abc/resourceGroups/rg', /subscription 'abc' is not a GUID/],
    ['double slash', `/subscriptions/${SUB}//resourceGroups/rg`, /empty segment/],
    [
      'type without name',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries`,
      /every resource type must be followed by a name/,
    ],
    [
      'wrong type',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/img`,
      /expected a Microsoft.Compute\/disks, got a Microsoft.Compute\/images/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what}, naming the input`, () => {
      assert.throws(
        () => parseResourceId(text, { input: 'sourceId', expectedType: 'Microsoft.Compute/disks' }),
        (e: unknown) =>
          e instanceof InputError &&
          e.input === 'sourceId' &&
          message.test(e.message) &&
          e.message.startsWith("Input 'sourceId'"),
      );
    });
  }
});

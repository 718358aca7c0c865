// Runs last (.mocharc sorts spec files; "zz-" sorts after every folder): every ARM exchange the whole test run made
// with the local Azure is checked against Azure's own specs. Named so, because it must see the others' traffic.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suiteTraffic, type RecordedExchange } from './local-azure/front';
import { formatViolation, TRAFFIC_FILE, validateTraffic } from './fidelity/specValidator';

describe('the local Azure against Azure’s own specs (oav)', function () {
  this.timeout(300_000);

  it('every ARM exchange of this test run matches the official spec of its operation', async () => {
    assert.ok(suiteTraffic.length > 0, 'the run recorded no ARM traffic: the recorder is not wired');
    fs.mkdirSync(path.dirname(TRAFFIC_FILE), { recursive: true });
    fs.writeFileSync(TRAFFIC_FILE, JSON.stringify(suiteTraffic));
    const report = await validateTraffic(suiteTraffic);
    const unmatched = report.unmatched.reduce((n, u) => n + u.count, 0);
    console.log(
      `      ${report.pairs} exchanges, ${report.pairs - unmatched} matched a spec operation; not in a spec here:`,
    );
    for (const u of report.unmatched) console.log(`        ${u.count} x ${u.route}`);
    assert.deepEqual(report.violations.map(formatViolation), [], 'spec violations in the recorded traffic');
  });

  it('the check bites: planted violations are each reported', async () => {
    const base =
      'https://127.0.0.1:1/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/disks/d1';
    const disk = {
      id: base.replace('https://127.0.0.1:1', ''),
      name: 'd1',
      type: 'Microsoft.Compute/disks',
      location: 'westeurope',
      properties: { creationData: { createOption: 'Empty' }, diskSizeGB: 1 },
    };
    const exchange = (over: Partial<RecordedExchange>): RecordedExchange => ({
      method: 'GET',
      url: `${base}?api-version=2026-03-02`,
      requestHeaders: {},
      requestBody: undefined,
      status: 200,
      responseHeaders: { 'Content-Type': 'application/json' },
      responseBody: disk,
      ...over,
    });
    const put = {
      location: 'westeurope',
      properties: { creationData: { createOption: 'Empty' }, diskSizeGB: 1 },
    };
    const report = await validateTraffic([
      // A wrong type: location is a string.
      exchange({ responseBody: { ...disk, location: 42 } }),
      // A required property missing from a request: a disk without location.
      exchange({ method: 'PUT', requestBody: { properties: put.properties }, responseBody: disk }),
      // A status code the operation does not declare: Disks_CreateOrUpdate answers 200 or 202, never 201.
      exchange({ method: 'PUT', requestBody: put, status: 201 }),
      // A closed enum with a value it does not hold.
      exchange({
        method: 'PUT',
        requestBody: { ...put, properties: { ...put.properties, osType: 'Solaris' } },
      }),
    ]);
    const lines = report.violations.map(formatViolation).join('\n');
    assert.match(lines, /Disks_Get response INVALID_TYPE at '[^']*location'/, lines);
    assert.match(lines, /Disks_CreateOrUpdate request OBJECT_MISSING_REQUIRED_PROPERTY.*location/, lines);
    assert.match(lines, /Disks_CreateOrUpdate response INVALID_RESPONSE_CODE.*201/, lines);
    assert.match(lines, /Disks_CreateOrUpdate request ENUM_MISMATCH.*Solaris/, lines);
  });
});

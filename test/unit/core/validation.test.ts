import assert from 'node:assert/strict';
import { parseDurationSeconds } from '../../../shared/validation/duration';
import { normalizeRegion } from '../../../shared/azure/regions';

describe('durations', () => {
  const cases: [string, number][] = [
    ['3600', 3600],
    ['90s', 90],
    ['45m', 2700],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86400],
    ['PT2H30M', 9000],
    ['P1DT1S', 86401],
  ];
  for (const [text, seconds] of cases)
    it(`reads ${text} as ${seconds} s`, () => assert.equal(parseDurationSeconds('timeout', text), seconds));

  for (const text of ['soon', '2 hours', 'PT', '1h30', '-5m']) {
    it(`refuses '${text}'`, () =>
      assert.throws(() => parseDurationSeconds('timeout', text), /Input 'timeout': '.*' is not a duration/));
  }
});

describe('regions', () => {
  it('normalises display names', () => {
    assert.equal(normalizeRegion('location', 'West Europe'), 'westeurope');
    assert.equal(normalizeRegion('location', 'EastUS2'), 'eastus2');
  });
  it('suggests close names for a typo', () => {
    assert.throws(
      () => normalizeRegion('location', 'westeurop'),
      /Input 'location': 'westeurop' is not an Azure region; did you mean westeurope/,
    );
    assert.throws(
      () => normalizeRegion('location', 'mars'),
      (e: Error) => /is not an Azure region$/.test(e.message),
    );
  });
});

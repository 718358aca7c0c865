import assert from 'node:assert/strict';
describe('toolchain', () => {
  it('runs typescript tests', () => {
    const n: number = 1 + 1;
    assert.equal(n, 2);
  });
});

import assert from 'node:assert/strict';
import { redactText, redactUrl } from '../../../shared/azure/redact';

describe('redaction of SAS tokens and secrets', () => {
  it('removes the signature of a SAS URL and keeps what helps debugging', () => {
    const url =
      'https://md-abc.blob.core.windows.net/xyz/abcd?sv=2018-03-28&sr=b&si=123&sig=AbC%2Bdef%3D&se=2026-01-01';
    assert.equal(
      redactUrl(url),
      'https://md-abc.blob.core.windows.net/xyz/abcd?sv=2018-03-28&sr=b&si=123&sig=REDACTED&se=2026-01-01',
    );
  });

  it('redacts accessSAS in a grantAccess answer body and tokens in query strings', () => {
    const body = '{"accessSAS":"https://x/y?sv=1&sig=secret","securityDataAccessSAS":"https://z?sig=other"}';
    const text = redactText(body);
    assert.doesNotMatch(text, /secret|other/);
    assert.match(text, /"accessSAS":"REDACTED"/);
    assert.equal(redactUrl('https://h/p?code=abc&x=1'), 'https://h/p?code=REDACTED&x=1');
  });
});

import assert from 'node:assert/strict';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { describeAzureError, formatAzureError } from '../../../shared/azure/errors';

function armRestError(
  status: number,
  body: unknown,
  correlationId = 'c0ffee00-1111-2222-3333-444455556666',
): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x?sig=topsecret' });
  return new RestError('raw message', {
    statusCode: status,
    code: 'RawCode',
    request,
    response: {
      status,
      request,
      headers: createHttpHeaders({
        'x-ms-correlation-request-id': correlationId,
        'x-ms-request-id': 'req-1',
      }),
      bodyAsText: JSON.stringify(body),
    },
  });
}

describe('Azure errors', () => {
  it('shows the ARM code, the nested details and the correlation id of a RestError', () => {
    const e = armRestError(409, {
      error: {
        code: 'DeploymentFailed',
        message: 'At least one resource deployment operation failed.',
        details: [
          { code: 'PropertyChangeNotAllowed', message: "Changing property 'osType' is not allowed." },
        ],
      },
    });
    const d = describeAzureError(e);
    assert.equal(d.code, 'DeploymentFailed');
    assert.equal(d.statusCode, 409);
    assert.equal(d.correlationId, 'c0ffee00-1111-2222-3333-444455556666');
    assert.match(
      formatAzureError(e, 'Creating definition'),
      /^Creating definition: \(DeploymentFailed\) At least one resource deployment operation failed\. \| PropertyChangeNotAllowed: Changing property 'osType' is not allowed\. \[HTTP 409, correlation id c0ffee00-1111-2222-3333-444455556666\]$/,
    );
  });

  it('reads the code of a failed long-running operation (a plain Error)', () => {
    const e = Object.assign(new Error('The operation failed: disk is attached'), {
      code: 'OperationNotAllowed',
    });
    assert.equal(formatAzureError(e), '(OperationNotAllowed) The operation failed: disk is attached');
  });

  it('never shows a SAS signature that an error message carries', () => {
    const e = new Error('Copy from https://acct.blob.core.windows.net/c/b?sv=1&sig=topsecret failed');
    assert.doesNotMatch(formatAzureError(e), /topsecret/);
  });
});

import assert from 'node:assert/strict';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import { describeRun, leakedSecrets, runTask } from '../harness/runTask';
import { CONNECTION_KINDS, serviceConnectionEnv, type ConnectionKind } from '../harness/connections';

const CONNECTION_ID = 'conn';

/** Changes one authorization parameter of a connection as the agent would pass it (JSON and variable). */
function withAuthParameter(
  env: Record<string, string>,
  key: string,
  value: string | undefined,
): Record<string, string> {
  const authVar = `ENDPOINT_AUTH_${CONNECTION_ID}`;
  const auth = JSON.parse(env[authVar]) as { parameters: Record<string, string>; scheme: string };
  const paramVar = `ENDPOINT_AUTH_PARAMETER_${CONNECTION_ID}_${key.toUpperCase()}`;
  if (value === undefined) {
    delete auth.parameters[key];
    delete env[paramVar];
  } else {
    auth.parameters[key] = value;
    env[paramVar] = value;
  }
  env[authVar] = JSON.stringify(auth);
  return env;
}

function definitionInputs(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ConnectedServiceName: CONNECTION_ID,
    mode: 'ensureDefinition',
    resourceGroupName: 'rg-images',
    location: 'West Europe',
    galleryName: 'corp_images',
    galleryDescription: 'Hardened images',
    imageDefinition: 'ubuntu-24-04',
    osType: 'Linux',
    osState: 'Generalized',
    hyperVGeneration: 'V2',
    architecture: 'x64',
    securityType: 'TrustedLaunchSupported',
    publisher: 'contoso',
    offer: 'ubuntu',
    sku: '24_04-lts',
    tags: 'team=platform\nsource=pipeline',
    ...overrides,
  };
}

describe('ShareToGallery task (bundle through the harness against local Azure)', function () {
  this.timeout(120_000);
  let azure: LocalAzure;

  before(async () => {
    azure = await startLocalAzure({ blob: false });
    azure.resourceGroup('rg-images');
  });
  after(() => azure?.stop());

  function secretsOf(): string[] {
    return [
      azure.principals.secret.clientSecret,
      azure.principals.certificate.certificatePem.split('\n')[1],
      azure.principals.systemAccessToken,
    ];
  }

  async function run(
    kind: ConnectionKind,
    inputs: Record<string, string>,
    extraEnv: Record<string, string> = {},
  ) {
    const result = await runTask('ShareToGallery', {
      inputs,
      env: {
        ...serviceConnectionEnv(azure, kind, CONNECTION_ID),
        VMIMAGELIFECYCLE_POLLINTERVALSECONDS: '0.02',
        ...extraEnv,
      },
    });
    assert.deepEqual(
      leakedSecrets(result, secretsOf()),
      [],
      `a secret reached the output\n${describeRun(result)}`,
    );
    return result;
  }

  it('creates the gallery and definition, then a re-run with the same inputs changes nothing', async () => {
    const first = await run('secret', definitionInputs());
    assert.equal(first.result, 'Succeeded', describeRun(first));
    assert.equal(first.variables.imageDefinitionAction?.value, 'created');
    assert.match(
      first.variables.galleryId.value,
      /\/resourceGroups\/rg-images\/providers\/Microsoft\.Compute\/galleries\/corp_images$/,
    );
    assert.equal(first.variables.imageDefinitionId.isOutput, true);
    assert.match(first.summaries[0]?.content ?? '', /\| image definition \| created \|/);

    const second = await run('secret', definitionInputs());
    assert.equal(second.result, 'Succeeded', describeRun(second));
    assert.equal(second.variables.imageDefinitionAction.value, 'unchanged');
    assert.match(second.stdout, /already match the inputs: nothing changed/);
    const writes = azure.requests.filter((r) => r.method === 'PUT' && r.path.includes('corp_images'));
    assert.equal(writes.length, 2, 'only the first run writes (gallery + definition)');
  });

  it('updates what Azure can change and says what changed', async () => {
    const updated = await run(
      'secret',
      definitionInputs({
        definitionDescription: 'Ubuntu 24.04 hardened',
        tags: 'team=platform\nsource=pipeline\ncost=images',
      }),
    );
    assert.equal(updated.result, 'Succeeded', describeRun(updated));
    assert.equal(updated.variables.imageDefinitionAction.value, 'updated');
    assert.match(updated.stdout, /description: '' -> 'Ubuntu 24.04 hardened'/);
  });

  it('refuses to change what Azure cannot change, naming the input, and writes nothing', async () => {
    const before = azure.requests.length;
    const mismatch = await run('secret', definitionInputs({ osType: 'Windows' }));
    assert.equal(mismatch.result, 'Failed', describeRun(mismatch));
    assert.match(
      mismatch.resultMessage ?? '',
      /Input 'osType': image definition 'ubuntu-24-04' exists with osType 'Linux' but 'Windows' was asked/,
    );
    assert.equal(
      azure.requests.slice(before).filter((r) => r.method !== 'GET' && !r.path.includes('oauth2')).length,
      0,
    );
  });

  for (const kind of CONNECTION_KINDS) {
    it(`signs in with a ${kind} service connection`, async () => {
      const result = await run(
        kind,
        definitionInputs({ imageDefinition: `def-${kind}`, sku: `sku-${kind}` }),
        { SYSTEM_DEBUG: 'true' },
      );
      assert.equal(result.result, 'Succeeded', describeRun(result));
      assert.equal(result.variables.imageDefinitionAction.value, 'created');
      // system.debug logs each ARM call with its ids.
      assert.match(
        result.stdout,
        /HTTP PUT https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.* -> 201 .*x-ms-correlation-request-id: [0-9a-f-]{36}/,
      );
    });
  }

  describe('bad input fails before any Azure call, naming the input', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'gallery name with illegal characters',
        { galleryName: 'corp-images!' },
        /Input 'galleryName': 'corp-images!' is not a valid gallery name/,
      ],
      [
        'unknown region',
        { location: 'westeurop' },
        /Input 'location': 'westeurop' is not an Azure region; did you mean westeurope/,
      ],
      [
        'Trusted Launch on generation V1',
        { hyperVGeneration: 'V1' },
        /Input 'securityType': TrustedLaunchSupported needs Hyper-V generation V2/,
      ],
      [
        'end of life in the past',
        { endOfLifeDate: '2020-01-01' },
        /Input 'endOfLifeDate': 2020-01-01T00:00:00.000Z is in the past/,
      ],
      ['unknown OS type', { osType: 'BeOS' }, /Input 'osType': 'BeOS' is not one of Linux, Windows/],
      ['missing resource group', { resourceGroupName: '' }, /Input 'resourceGroupName': is required/],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        const before = azure.requests.length;
        const result = await run('secret', definitionInputs(overrides));
        assert.equal(result.result, 'Failed', describeRun(result));
        assert.match(result.resultMessage ?? '', message);
        assert.equal(azure.requests.length, before, 'no request reached Azure');
      });
    }

    it('a resource group that does not exist', async () => {
      const result = await run('secret', definitionInputs({ resourceGroupName: 'rg-missing' }));
      assert.equal(result.result, 'Failed', describeRun(result));
      assert.match(
        result.resultMessage ?? '',
        /Input 'resourceGroupName': resource group 'rg-missing' does not exist/,
      );
    });
  });

  describe('bad service connections', () => {
    it("a wrong client secret fails with Entra's reason, naming the connection, and never prints the secret", async () => {
      const env = withAuthParameter(
        serviceConnectionEnv(azure, 'secret', CONNECTION_ID),
        'serviceprincipalkey',
        'wrong-secret-value-123',
      );
      const result = await runTask('ShareToGallery', { inputs: definitionInputs(), env });
      assert.equal(result.result, 'Failed', describeRun(result));
      assert.match(result.resultMessage ?? '', /AADSTS7000215/);
      assert.deepEqual(leakedSecrets(result, ['wrong-secret-value-123']), []);
    });

    it('a missing secret names the connection', async () => {
      const env = withAuthParameter(
        serviceConnectionEnv(azure, 'secret', CONNECTION_ID),
        'serviceprincipalkey',
        undefined,
      );
      const result = await runTask('ShareToGallery', { inputs: definitionInputs(), env });
      assert.equal(result.result, 'Failed', describeRun(result));
      assert.match(
        result.resultMessage ?? '',
        /Input 'ConnectedServiceName \(conn\)': service connection has neither a client secret nor a certificate/,
      );
    });

    it('an unknown scheme names the connection', async () => {
      const env = serviceConnectionEnv(azure, 'secret', CONNECTION_ID);
      env[`ENDPOINT_AUTH_SCHEME_${CONNECTION_ID}`] = 'UsernamePassword';
      const result = await runTask('ShareToGallery', { inputs: definitionInputs(), env });
      assert.equal(result.result, 'Failed', describeRun(result));
      assert.match(
        result.resultMessage ?? '',
        /service connection uses the authentication scheme 'UsernamePassword', which is not supported/,
      );
    });

    it("a wrong tenant fails with Entra's unknown-tenant error", async () => {
      const env = withAuthParameter(
        serviceConnectionEnv(azure, 'secret', CONNECTION_ID),
        'tenantid',
        '00000000-0000-0000-0000-000000000000',
      );
      const result = await runTask('ShareToGallery', { inputs: definitionInputs(), env });
      assert.equal(result.result, 'Failed', describeRun(result));
      assert.match(
        result.resultMessage ?? '',
        /Sign-in with service connection ConnectedServiceName \(conn\) .* does not know tenant '00000000-0000-0000-0000-000000000000'/,
      );
    });
  });
});

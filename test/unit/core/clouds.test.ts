import assert from 'node:assert/strict';
import { resolveCloud } from '../../../shared/azure/clouds';

describe('clouds', () => {
  it('knows the public and sovereign clouds', async () => {
    const china = await resolveCloud({ environment: 'AzureChinaCloud' });
    assert.equal(china.resourceManagerUrl, 'https://management.chinacloudapi.cn/');
    assert.equal(china.authorityHost, 'https://login.chinacloudapi.cn/');
    assert.equal(china.isCustom, false);
    const gov = await resolveCloud({
      environment: 'AzureUSGovernment',
      url: 'https://management.usgovcloudapi.net',
    });
    assert.equal(gov.authorityHost, 'https://login.microsoftonline.us/');
    assert.equal(gov.resourceManagerUrl, 'https://management.usgovcloudapi.net/');
    assert.equal((await resolveCloud({})).name, 'AzureCloud');
  });

  it('reads an Azure Stack authority from its metadata endpoint when the connection has none', async () => {
    const asked: string[] = [];
    const cloud = await resolveCloud(
      { environment: 'AzureStack', url: 'https://management.local.azurestack.external' },
      async (url) => {
        asked.push(url);
        return {
          authentication: {
            loginEndpoint: 'https://adfs.local.azurestack.external/adfs',
            audiences: ['https://management.adfs.azurestack.local/abc'],
          },
        };
      },
    );
    assert.deepEqual(asked, [
      'https://management.local.azurestack.external/metadata/endpoints?api-version=2015-01-01',
    ]);
    assert.equal(cloud.authorityHost, 'https://adfs.local.azurestack.external/adfs/');
    assert.equal(cloud.audience, 'https://management.adfs.azurestack.local/abc/');
    assert.equal(cloud.isCustom, true);
  });

  it('refuses a custom cloud without a management URL', async () => {
    await assert.rejects(
      resolveCloud({ environment: 'MyCloud' }),
      /not a known Azure cloud and the connection has no management URL/,
    );
  });
});

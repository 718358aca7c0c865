import assert from 'node:assert/strict';
import { parseBlobUrl } from '../../../shared/blobs/blobUrl';

describe('parseBlobUrl', () => {
  it('takes the account from the host of an Azure URL and from the path of an IP-style (emulator) URL', () => {
    assert.deepEqual(
      parseBlobUrl('blobUrl', 'https://images.blob.core.windows.net/vhds/os/disk.vhd?sv=1&sig=x'),
      {
        accountName: 'images',
        container: 'vhds',
        blob: 'os/disk.vhd',
      },
    );
    assert.deepEqual(parseBlobUrl('blobUrl', 'http://127.0.0.1:10000/devstoreaccount1/vhds/disk%201.vhd'), {
      accountName: 'devstoreaccount1',
      container: 'vhds',
      blob: 'disk 1.vhd',
    });
  });

  it('names the input and hides the SAS when the URL is not a blob URL', () => {
    assert.throws(() => parseBlobUrl('blobUrl', 'not a url'), /Input 'blobUrl': 'not a url' is not a URL/);
    assert.throws(
      () => parseBlobUrl('blobUrl', 'https://images.blob.core.windows.net/vhds?sig=secret'),
      (e: Error) =>
        /Input 'blobUrl': .* does not name a storage account, a container and a blob/.test(e.message) &&
        !e.message.includes('secret'),
    );
    assert.throws(
      () => parseBlobUrl('blobUrl', 'ftp://host/a/b/c'),
      /Input 'blobUrl': .* is not an http\(s\) URL/,
    );
  });
});

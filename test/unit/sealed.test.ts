import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SealKeys, seal } from '../../server/src/common/sealed';

describe('sealed: a secret crosses the LSP connection only as ciphertext', () => {
  test('round trip; the sealed text shows nothing of the secret; another key cannot open it', () => {
    const keys = new SealKeys();
    const secret = 'correct horse battery staple ✓ '.repeat(20);
    const sealed = seal(keys.publicKey, secret);
    assert.ok(!sealed.includes('horse'));
    assert.equal(keys.open(sealed), secret);
    assert.throws(() => new SealKeys().open(sealed));
    assert.throws(() => keys.open(sealed.slice(0, -4) + 'AAAA'), 'tampering is detected');
  });
});

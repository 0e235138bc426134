import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { printable, printableDeep, printableJson } from '../../server/src/common/printable';

const ESC = '\u001b';
const hostile = `ok${ESC}]0;pwned\u0007${ESC}[2J\u009b31m\u202egnp.exe\rX\u0000`;

describe('printable: host text that cannot drive a terminal or hide what it says', () => {
  test('C0/C1 controls, DEL and bidi overrides are escaped visibly; plain text is untouched', () => {
    const out = printable(hostile);
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(out), JSON.stringify(out));
    assert.equal(out, 'ok\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}gnp.exe\\u{d}X\\u{0}');
    assert.equal(printable('web-1: 42 ms, café ✓'), 'web-1: 42 ms, café ✓');
    assert.equal(printable('a\nb\tc'), 'a\\u{a}b\\u{9}c', 'one-line by default');
    assert.equal(printable('a\nb\tc', { keep: '\n\t' }), 'a\nb\tc');
  });

  test('printableDeep cleans every string of a value, keys included, and keeps numbers and structure', () => {
    const v = printableDeep({ [`k${ESC}`]: [hostile, 3, null, { deep: `${ESC}[31mred` }], n: 1.5, b: true });
    assert.deepEqual(v, { 'k\\u{1b}': [printable(hostile), 3, null, { deep: '\\u{1b}[31mred' }], n: 1.5, b: true });
  });

  test('printableJson escapes C1 and bidi as \\u, so the JSON reads back to the very same value', () => {
    const value = { text: hostile, list: ['\u0085', '\u2067x'] };
    const json = printableJson(value);
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(json));
    assert.deepEqual(JSON.parse(json), value);
  });
});

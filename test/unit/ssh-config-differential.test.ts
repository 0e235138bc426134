import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rng } from '../support/random';
import { generateConfig } from '../support/sshConfigGen';
import { compareWithSshG, mapLimit, sshAvailable, type Comparison } from '../support/sshDifferential';

const skip = (() => {
  if (sshAvailable()) return undefined;
  if (process.env.CI) throw new Error('ssh (Debian openssh-client) is required in CI for the ssh -G differential check');
  return 'ssh is not installed (apt-get install openssh-client): the ssh -G differential check is skipped';
})();

const SEED = Number(process.env.PLUMBLINE_SSH_DIFF_SEED ?? 20260601);
const CONFIGS = Number(process.env.PLUMBLINE_SSH_DIFF_CONFIGS ?? 50);

describe('ssh_config evaluation agrees with ssh -G', { skip }, () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sshdiff-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test(`${CONFIGS} random configs from seed ${SEED}, 8 host lookups each`, async (t) => {
    const r = rng(SEED);
    const cases: Array<{ file: string; spec: string }> = [];
    for (let i = 0; i < CONFIGS; i++) {
      const g = generateConfig(r, dir, i);
      for (const spec of g.lookups) cases.push({ file: g.file, spec });
    }
    const results: Array<Comparison & { file: string }> = await mapLimit(cases, 8, async (c) => ({ ...(await compareWithSshG(c.file, c.spec)), file: c.file }));
    const count = (v: Comparison['verdict']) => results.filter((x) => x.verdict === v).length;
    const explained = new Map<string, number>();
    for (const x of results) if (x.explanation) explained.set(x.explanation, (explained.get(x.explanation) ?? 0) + 1);
    console.log(`\nssh -G differential, seed ${SEED}: ${CONFIGS} configs, ${results.length} lookups`);
    console.table({ agree: count('agree'), explained: count('explained'), differ: count('differ') });
    for (const [why, n] of explained) console.log(`  explained ×${n}: ${why}`);
    const differ = results.filter((x) => x.verdict === 'differ');
    for (const d of differ.slice(0, 10)) console.log(`  DIFFER ${d.file} ${d.spec}: ${d.differences.join('; ')}`);
    t.diagnostic(`agree ${count('agree')}, explained ${count('explained')}, differ ${count('differ')} of ${results.length}`);
    assert.equal(differ.length, 0, `${differ.length} lookups differ from ssh -G, first: ${differ[0]?.file} ${differ[0]?.spec}: ${differ[0]?.differences.join('; ')}`);
    assert.ok(count('agree') > results.length * 0.8, 'most lookups are plain agreements (the generator must not only produce explained cases)');
  });
});

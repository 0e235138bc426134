import type { EnvironmentConfig } from '../config/types';
import type { SnapshotRecord } from '../store/store';
import { fileDifferences, readHostState, snapshotContent, type SnapshotFile } from './hostState';
import { restartApp } from './rolling';
import { writeFileArgv } from './scripts';
import { lastLine, type StepRunner } from './steps';
import { ActionStop } from './types';

/**
 * The file that says which colour serves (the nginx-upstream switch's upstream). Rollback leaves
 * it alone: putting the snapshot's copy back would send traffic to the colour a verified switch
 * took out of service.
 */
export function switchOwnedFile(env: EnvironmentConfig): string | undefined {
  return env.actions.switch?.strategy === 'nginx-upstream' ? env.actions.switch.upstream : undefined;
}

/**
 * Tier 3: put the host back as the pre-deployment snapshot has it. The release symlink is
 * swapped atomically (a new link under a temp name, then `mv -T` over the old one: there is no
 * moment without a `current`); managed files that differ are rewritten exactly (content, mode,
 * owner, group) or removed when the snapshot had none; nginx is reloaded when its files changed;
 * the app is restarted (rolling across the colours when `actions.switch.services` names them);
 * then `rollback.command` runs. The switch's upstream file is left as it is: which colour
 * serves is the switch's to decide.
 */
export async function rollback(run: StepRunner, env: EnvironmentConfig, snapshot: SnapshotRecord | undefined): Promise<string[]> {
  const cfg = env.actions.rollback;
  if (!cfg) throw new ActionStop('refused', `environment ${env.name} has no actions.rollback in plumbline.yaml`);
  if (!snapshot) throw new ActionStop('refused', `no snapshot of this host yet; take one before deploying with \`plumbline snapshot ${env.name}\``);
  run.addSecrets(Object.values(snapshot.secretContents ?? {}));
  const notes: string[] = [`to snapshot ${snapshot.id} taken ${snapshot.takenAt} by ${snapshot.takenBy} (${snapshot.reason})`];
  const restoreFiles = cfg.restoreFiles ?? cfg.strategy === 'release-symlink';
  const now = await readHostState(run, env, 'read the release link and managed files as they are now');

  if (cfg.strategy === 'release-symlink') {
    const rel = snapshot.release;
    if (!rel || rel.target === null) throw new ActionStop('refused', `snapshot ${snapshot.id} has no release symlink target to go back to`);
    if (now.release?.target === rel.target) notes.push(`release already at ${rel.target}`);
    else {
      const tmp = `${rel.path}.plumbline-new`;
      await run.must({ title: `make a link to ${rel.target} under a temp name`, effect: 'change', root: true, argv: ['ln', '-sfn', '--', rel.target, tmp] });
      if (now.release?.target !== null && now.release !== null) {
        await run.must({ title: 'give it the current link\'s owner', effect: 'change', root: true, argv: ['chown', '-h', `--reference=${rel.path}`, '--', tmp] });
      }
      await run.must({ title: `point ${rel.path} at ${rel.target} (atomic rename)`, effect: 'change', root: true, argv: ['mv', '-T', '--', tmp, rel.path] });
      notes.push(`release ${now.release?.target ?? '(none)'} → ${rel.target}`);
    }
  }

  const changed: string[] = [];
  if (restoreFiles) {
    const owned = switchOwnedFile(env);
    for (const want of snapshot.files as SnapshotFile[]) {
      if (want.remote === owned) continue;
      const have = now.files.find((f) => f.remote === want.remote);
      const diffs = fileDifferences(want, have);
      if (diffs.length === 0) continue;
      if (!want.exists) {
        await run.must({ title: `remove ${want.remote} (absent in the snapshot)`, effect: 'change', root: true, argv: ['rm', '-f', '--', want.remote] });
        changed.push(want.remote);
        continue;
      }
      const content = snapshotContent(snapshot, want.remote);
      if (content === undefined) throw new ActionStop('failed', `${want.remote} differs (${diffs.join(', ')}) but the snapshot holds no content for it (${want.note ?? 'secret content not kept'})`);
      const owner = want.owner ? `${want.owner}${want.group ? `:${want.group}` : ''}` : '';
      await run.must({
        title: `restore ${want.remote} (${diffs.join(', ')})`,
        effect: 'change',
        root: true,
        argv: writeFileArgv(want.remote, want.mode ?? '', owner, content),
        stdin: content,
        stdinNote: want.secret ? `${Buffer.byteLength(content)} bytes of secret content from the snapshot (not shown)` : `${Buffer.byteLength(content)} bytes, sha256 ${want.sha256}`,
      });
      changed.push(want.remote);
    }
    notes.push(changed.length ? `restored ${changed.join(', ')}` : 'managed files already as in the snapshot');
  }

  if (changed.some((f) => f.startsWith('/etc/nginx/'))) {
    const test = await run.run({ title: 'check the restored nginx configuration', effect: 'change', root: true, argv: ['nginx', '-t'] });
    if (test.ran && test.code !== 0) throw new ActionStop('failed', `nginx -t rejects the restored configuration: ${lastLine(test.stderr)}`);
    await run.must({ title: 'reload nginx', effect: 'change', root: true, argv: ['nginx', '-s', 'reload'] });
  }

  const names = env.actions.remediate?.restart ?? (env.layers.app.process ? [env.layers.app.process] : []);
  if (names.length > 0) notes.push(...(await restartApp(run, env, names)));
  if (cfg.command) {
    await run.must({ title: 'run the rollback command (actions.rollback.command)', effect: 'change', root: true, argv: cfg.command, timeoutMs: 300_000 });
    notes.push(`ran ${cfg.command.join(' ')}`);
  }
  return notes;
}

import type { EnvironmentConfig } from '../config/types';
import type { SnapshotRecord } from '../store/store';
import { fileDifferences, readHostState, snapshotContent, type SnapshotFile } from './hostState';
import { armArgv, disarmArgv, finisherId, finisherProgram, type FinisherPlan } from './finisher';
import { hasSystemd } from './restart';
import { coversColours, restartApp } from './rolling';
import { writeFileArgv } from './scripts';
import { colourHealthUrl, activeColour, rewriteUpstream, type Colour } from './upstream';
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
 *
 * Before its first change it arms a finisher on the host (see finisher.ts): if this client is
 * killed or cut off from there on, the host finishes the rollback itself, so it is never left
 * with the link on one release and a colour running another. `owner`: the lock owner line; without
 * it (no host lock held) no finisher is armed, since one would not know when the client is gone.
 */
export async function rollback(run: StepRunner, env: EnvironmentConfig, snapshot: SnapshotRecord | undefined, owner = ''): Promise<string[]> {
  const cfg = env.actions.rollback;
  if (!cfg) throw new ActionStop('refused', `environment ${env.name} has no actions.rollback in plumbline.yaml`);
  if (!snapshot) throw new ActionStop('refused', `no snapshot of this host yet; take one before deploying with \`plumbline snapshot ${env.name}\``);
  run.addSecrets(Object.values(snapshot.secretContents ?? {}));
  const notes: string[] = [`to snapshot ${snapshot.id} taken ${snapshot.takenAt} by ${snapshot.takenBy} (${snapshot.reason})`];
  const restoreFiles = cfg.restoreFiles ?? cfg.strategy === 'release-symlink';
  const now = await readHostState(run, env, 'read the release link and managed files as they are now');

  const names = env.actions.remediate?.restart ?? (env.layers.app.process ? [env.layers.app.process] : []);
  // Only under the host lock (its owner line given): a finisher waits for that lock to come free.
  if (!owner) return [...notes, ...(await changeHost(run, env, snapshot, now, names, restoreFiles))];
  const id = finisherId('rollback');
  const plan = await finisherPlan(run, env, snapshot, now, names, id, owner);
  await run.must({
    title: 'arm the finisher on the host: if this client dies from here on, the host finishes the rollback itself',
    effect: 'change',
    root: true,
    argv: armArgv(id, plan),
    stdin: plan,
    stdinNote: `${Buffer.byteLength(plan)} bytes: the rest of this rollback as one program (link, reload, restarts, command)`,
  });
  let failure: { error: unknown } | undefined;
  try {
    notes.push(...(await changeHost(run, env, snapshot, now, names, restoreFiles)));
  } catch (e) {
    failure = { error: e };
  }
  // Done, or stopped here with its reason reported: either way the finisher has nothing to do.
  // When the host no longer answers this fails too, and the finisher takes over once the lock lapses.
  const told = await run.run({ title: 'tell the finisher the rollback is over (it exits)', effect: 'change', root: true, argv: disarmArgv(id) }).catch(() => undefined);
  if (failure) throw failure.error;
  if (told?.ran && told.code !== 0) throw new ActionStop('failed', `the rollback ran, but the host's finisher could not be told (exit ${told.code ?? told.signal}): it restarts the app once more when the lock is released`);
  return notes;
}

async function changeHost(run: StepRunner, env: EnvironmentConfig, snapshot: SnapshotRecord, now: Awaited<ReturnType<typeof readHostState>>, names: readonly string[], restoreFiles: boolean): Promise<string[]> {
  const cfg = env.actions.rollback!;
  const notes: string[] = [];
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
    for (const { want, diffs } of differingFiles(env, snapshot, now)) {
      if (!want.exists) {
        await run.must({ title: `remove ${want.remote} (absent in the snapshot)`, effect: 'change', root: true, argv: ['rm', '-f', '--', want.remote] });
        changed.push(want.remote);
        continue;
      }
      const content = snapshotContent(snapshot, want.remote);
      if (content === undefined) throw new ActionStop('failed', `${want.remote} differs (${diffs.join(', ')}) but the snapshot holds no content for it (${want.note ?? 'secret content not kept'})`);
      const owner = ownerSpec(want);
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

  if (names.length > 0) notes.push(...(await restartApp(run, env, names)));
  if (cfg.command) {
    await run.must({ title: 'run the rollback command (actions.rollback.command)', effect: 'change', root: true, argv: cfg.command, timeoutMs: 300_000 });
    notes.push(`ran ${cfg.command.join(' ')}`);
  }
  return notes;
}

/** What the finisher would do, built from the host as it is now: the same link, files, restarts and command. */
async function finisherPlan(
  run: StepRunner,
  env: EnvironmentConfig,
  snapshot: SnapshotRecord,
  now: Awaited<ReturnType<typeof readHostState>>,
  names: readonly string[],
  id: string,
  owner: string,
): Promise<string> {
  const cfg = env.actions.rollback!;
  const restoreFiles = cfg.restoreFiles ?? cfg.strategy === 'release-symlink';
  const differ = restoreFiles ? differingFiles(env, snapshot, now).map((d) => d.want) : [];
  const files: FinisherPlan['files'] = [];
  for (const want of differ) {
    const content = want.exists ? snapshotContent(snapshot, want.remote) : undefined;
    // A file the snapshot holds no content for stops the client's own rollback before it is touched.
    if (want.exists && content === undefined) continue;
    files.push({ path: want.remote, mode: want.mode ?? '', owner: ownerSpec(want), ...(content !== undefined && { content }) });
  }
  const plan: FinisherPlan = {
    id,
    owner,
    ...(cfg.strategy === 'release-symlink' && snapshot.release?.target && { release: { path: snapshot.release.path, target: snapshot.release.target } }),
    files,
    reloadNginx: differ.some((f) => f.remote.startsWith('/etc/nginx/')),
    systemd: names.length > 0 ? await hasSystemd(run) : false,
    restarts: [],
    ...(cfg.command && { command: cfg.command }),
  };
  const sw = env.actions.switch;
  for (const name of names) {
    if (sw?.strategy === 'nginx-upstream' && sw.upstream && sw.blue && sw.green && coversColours(name, sw.services)) {
      const read = await run.must({ title: 'read the upstream file (for the finisher)', effect: 'read', root: true, argv: ['cat', '--', sw.upstream] });
      const meta = await run.must({ title: 'read the upstream file mode and owner', effect: 'read', root: true, argv: ['stat', '-c', '%a %U:%G', '--', sw.upstream] });
      const addresses = { blue: sw.blue, green: sw.green };
      const active = activeColour(read.stdout, addresses);
      // A file that names neither colour (or both) gets in-place restarts from the finisher.
      const text = (c: Colour): string => {
        if (!active.ok) return '';
        const t = rewriteUpstream(read.stdout, addresses[active.value], addresses[c]);
        return t.ok ? t.value : '';
      };
      const [mode, own] = meta.stdout.trim().split(' ');
      plan.restarts.push({
        kind: 'rolling',
        upstream: sw.upstream,
        mode: mode ?? '',
        owner: own ?? '',
        colours: {
          blue: { service: sw.services!.blue, url: colourHealthUrl(env.layers.app.health, sw.blue), text: text('blue') },
          green: { service: sw.services!.green, url: colourHealthUrl(env.layers.app.health, sw.green), text: text('green') },
        },
      });
    } else plan.restarts.push({ kind: 'service', name });
  }
  return finisherProgram(plan);
}

/** The snapshot's managed files that differ on the host now, with how; the switch's upstream left out. */
function differingFiles(env: EnvironmentConfig, snapshot: SnapshotRecord, now: Awaited<ReturnType<typeof readHostState>>): { want: SnapshotFile; diffs: string[] }[] {
  const owned = switchOwnedFile(env);
  return (snapshot.files as SnapshotFile[]).flatMap((want) => {
    if (want.remote === owned) return [];
    const diffs = fileDifferences(want, now.files.find((f) => f.remote === want.remote));
    return diffs.length > 0 ? [{ want, diffs }] : [];
  });
}

/** `owner[:group]` as chown takes it, or '' to leave the owner as it is. */
function ownerSpec(want: SnapshotFile): string {
  return want.owner ? `${want.owner}${want.group ? `:${want.group}` : ''}` : '';
}

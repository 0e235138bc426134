/**
 * The extension in a real VS Code (code-server's extension host) against real lab hosts: it
 * activates on the lab workspace, lists the hosts with their state, captures baselines, shows a
 * changed managed file as a diagnostic on the right line, clears it when the live state is
 * accepted as the new baseline, rolls a changed host back through the Roll Back code action
 * (confirm mode, approved through the modal's test hook), and watches the lab.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { labExec } from '../../../server/src/lab/lab';
import { Store } from '../../../server/src/store/store';
import type { ActionReportView, ModalRequest, OperationResult, PlumblineTestApi, RenderedRow } from '../../../server/src/protocol/protocol';
import { runSettings } from './settings';
import { waitFor } from './waitFor';

const EXTENSION_ID = 'plumbline.plumbline';

function hostRows(api: PlumblineTestApi): RenderedRow[] {
  return api.environmentsTree().find((r) => r.label === 'lab')?.children ?? [];
}

function plumblineDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'plumbline');
}

describe('Plumbline in a real VS Code, on lab hosts', () => {
  const settings = runSettings();
  const labDir = settings.labDir;
  const appConf = vscode.Uri.file(path.join(labDir, 'deploy', 'nginx', 'app.conf'));
  const config = vscode.Uri.file(path.join(labDir, 'plumbline.yaml'));
  let api: PlumblineTestApi;
  let changed: vscode.Event<void>;

  const exec = async (host: string, argv: string[]) => {
    const r = await labExec(labDir, host, argv);
    assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<PlumblineTestApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    // workspaceContains:plumbline.yaml activates it on its own; activate() just hands over the API.
    api = await ext.activate();
    changed = api.onDidChange;
    await waitFor('the fleet view', () => api.view()?.environments.length, [changed]);
  });

  it('activates on the lab workspace and lists the lab hosts, none baselined yet', () => {
    const rows = hostRows(api);
    assert.deepEqual(rows.map((r) => r.label).sort(), ['web-1', 'web-2', 'web-3']);
    for (const r of rows) {
      assert.equal(r.description, 'no baseline', `${r.label}: ${JSON.stringify(r)}`);
      assert.equal(r.contextValue, 'plumbline.host.noBaseline');
    }
    assert.match(api.statusText(), /lab: 3 no baseline/);
  });

  it('captures a baseline of every host through the command, then shows them clean', async () => {
    const r = await vscode.commands.executeCommand<OperationResult>('plumbline.captureBaseline', 'lab');
    assert.ok(r, 'the command answers the operation result');
    assert.deepEqual(r.outcomes.map((o) => [o.host, o.ok, o.message]), [
      ['web-1', true, 'baseline v1'],
      ['web-2', true, 'baseline v1'],
      ['web-3', true, 'baseline v1'],
    ]);
    const rows = await waitFor('clean hosts', () => {
      const rows = hostRows(api);
      return rows.length === 3 && rows.every((x) => x.description === 'clean') && rows;
    }, [changed]);
    assert.equal(rows.length, 3);
    assert.match(api.statusText(), /lab: 3 clean/);
  });

  it('shows a managed file changed on one host as a diagnostic on the drifted line', async () => {
    const lines = fs.readFileSync(appConf.fsPath, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('proxy_read_timeout 15s;'));
    assert.ok(line >= 0);
    await exec('web-1', ['sed', '-i', 's/proxy_read_timeout 15s;/proxy_read_timeout 5s;/', '/etc/nginx/conf.d/app.conf']);

    const r = await vscode.commands.executeCommand<OperationResult>('plumbline.diff', 'lab');
    assert.deepEqual(r?.outcomes.map((o) => [o.host, o.ok]), [['web-1', true], ['web-2', true], ['web-3', true]]);

    const diags = await waitFor('a drift diagnostic on app.conf', () => plumblineDiagnostics(appConf).length > 0 && plumblineDiagnostics(appConf), [vscode.languages.onDidChangeDiagnostics]);
    assert.equal(diags.length, 1, diags.map((d) => d.message).join('\n'));
    const d = diags[0];
    assert.equal(d.range.start.line, line, `on line ${line + 1}: ${d.message}`);
    assert.equal(d.range.end.line, line);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning, 'a changed file is medium → warning');
    assert.match(d.message, /^web-1: drifted from baseline v1 \(medium\): live has "proxy_read_timeout 5s;"/);
    const related = d.relatedInformation ?? [];
    assert.deepEqual(
      related.map((x) => x.message),
      ['baseline v1 on web-1: proxy_read_timeout 15s;', 'live on web-1: proxy_read_timeout 5s;'],
    );
    assert.equal(related[0].location.uri.scheme, 'plumbline-baseline');

    const hostDiag = await waitFor('the host-entry diagnostic', () => plumblineDiagnostics(config).find((x) => x.message.startsWith('web-1')), [vscode.languages.onDidChangeDiagnostics]);
    assert.match(hostDiag.message, /drift \(medium\).*risk: not scored yet/);

    const rows = await waitFor('web-1 drifting in the tree', () => {
      const web1 = hostRows(api).find((x) => x.label === 'web-1');
      return web1?.description === 'drift (medium)' && web1;
    }, [changed]);
    assert.equal(rows.contextValue, 'plumbline.host.drift');
    assert.deepEqual(rows.children?.map((c) => c.label), ['app']);
    assert.deepEqual(rows.children?.[0].children?.map((c) => c.label), ['files./etc/nginx/conf.d/app.conf']);
    assert.deepEqual(hostRows(api).filter((x) => x.label !== 'web-1').map((x) => x.description), ['clean', 'clean']);
    assert.match(api.statusText(), /lab: 1 drift \(medium\), 2 clean/);
  });

  it('shows baseline and live side by side through the content provider', async () => {
    const baseline = vscode.Uri.from({ scheme: 'plumbline-baseline', path: '/lab/web-1/etc/nginx/conf.d/app.conf', query: 'side=baseline' });
    const live = baseline.with({ query: 'side=live' });
    assert.match((await vscode.workspace.openTextDocument(baseline)).getText(), /proxy_read_timeout 15s;/);
    assert.match((await vscode.workspace.openTextDocument(live)).getText(), /proxy_read_timeout 5s;/);
  });

  it('offers hover and code lenses on plumbline.yaml', async () => {
    const doc = await vscode.workspace.openTextDocument(config);
    const at = doc.getText().indexOf('web-1');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', config, doc.positionAt(at + 1));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*web-1\*\* in `lab`: drift \(medium\)/);
    assert.match(text, /baseline v1/);
    assert.match(text, /risk: not scored yet/);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', config);
    assert.deepEqual(lenses.map((l) => l.command?.title), ['Plumbline: 3 hosts: 1 drift (medium), 2 clean', 'Capture baseline', 'Diff', 'Watch']);
  });

  it('accepts the live state as the new baseline through the code action, and the diagnostic clears', async () => {
    const [d] = plumblineDiagnostics(appConf);
    // The code-action command works on loaded documents only, as when a person has the file open.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(appConf));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', appConf, d.range);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Show diff on web-1: baseline ↔ live'), titles.join(', '));
    const accept = actions.find((a) => a.title === 'Accept live state of web-1 as its new baseline');
    assert.ok(accept?.command, titles.join(', '));
    await vscode.commands.executeCommand(accept.command.command, ...(accept.command.arguments ?? []));
    await waitFor('app.conf without drift diagnostics', () => plumblineDiagnostics(appConf).length === 0, [vscode.languages.onDidChangeDiagnostics]);
    await waitFor('web-1 clean at baseline v2', () => hostRows(api).find((x) => x.label === 'web-1')?.description === 'clean', [changed]);

    // The next diff compares against the accepted state: no drift anywhere.
    const r = await vscode.commands.executeCommand<OperationResult>('plumbline.diff', 'lab');
    assert.deepEqual(r?.outcomes.map((o) => o.message), ['no drift', 'no drift', 'no drift']);
    assert.equal(plumblineDiagnostics(appConf).length, 0);
  });

  it('takes a pre-deployment snapshot of every host', async () => {
    const r = await vscode.commands.executeCommand<OperationResult>('plumbline.takeSnapshot', 'lab');
    assert.deepEqual(r?.outcomes.map((o) => [o.host, o.ok]), [['web-1', true], ['web-2', true], ['web-3', true]], JSON.stringify(r));
    for (const o of r!.outcomes) assert.match(o.message, /^snapshot \d+$/);
  });

  it('rolls a changed host back through the Roll Back code action, approved in the modal, and the diagnostic clears', async () => {
    const line = fs.readFileSync(appConf.fsPath, 'utf8').split('\n').findIndex((l) => l.includes('proxy_read_timeout 15s;'));
    await exec('web-3', ['sed', '-i', 's/proxy_read_timeout 15s;/proxy_read_timeout 3s;/', '/etc/nginx/conf.d/app.conf']);
    await vscode.commands.executeCommand<OperationResult>('plumbline.diff', 'lab');
    const [d] = await waitFor('a drift diagnostic for web-3', () => {
      const ds = plumblineDiagnostics(appConf).filter((x) => x.message.startsWith('web-3:'));
      return ds.length > 0 && ds;
    }, [vscode.languages.onDidChangeDiagnostics]);
    assert.equal(d.range.start.line, line, d.message);

    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(appConf));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', appConf, d.range);
    const titles = actions.map((a) => a.title);
    const rollback = actions.find((a) => a.title.startsWith('Roll back web-3'));
    assert.ok(rollback?.command, titles.join(', '));
    assert.ok(titles.some((t) => t.startsWith('Remediate web-3')) && titles.some((t) => t.startsWith('Switch web-3')), titles.join(', '));

    // The modal runs as it would for a person; the hook reads its exact text and presses its button.
    const asked: ModalRequest[] = [];
    api.setModalHook(async (m) => {
      asked.push(m);
      return m.buttons.find((b) => b === 'Roll back web-3');
    });
    let report: ActionReportView | undefined;
    try {
      report = await vscode.commands.executeCommand<ActionReportView>(rollback.command.command, ...(rollback.command.arguments ?? []));
    } finally {
      api.setModalHook(undefined);
    }
    assert.equal(asked.length, 1, 'one modal, before anything changed');
    assert.match(asked[0].message, /^Roll back web-3 in lab\?$/);
    assert.match(asked[0].detail, /^Host: web-3 \(environment lab, actions\.mode: confirm\)/);
    assert.match(asked[0].detail, /\$ [\s\S]*\/etc\/nginx\/conf\.d\/app\.conf/, 'the exact command that rewrites app.conf');
    assert.ok(report, 'the command answers the report');
    assert.equal(report.status, 'done', report.message);
    assert.ok(report.steps.some((s) => s.effect === 'change' && s.ran && s.command.includes('/etc/nginx/conf.d/app.conf')), JSON.stringify(report.steps.map((s) => s.command)));

    assert.match(await exec('web-3', ['cat', '/etc/nginx/conf.d/app.conf']), /proxy_read_timeout 15s;/);
    await waitFor('app.conf without drift diagnostics', () => plumblineDiagnostics(appConf).length === 0, [vscode.languages.onDidChangeDiagnostics]);
    await waitFor('web-3 clean again', () => hostRows(api).find((x) => x.label === 'web-3')?.description === 'clean', [changed]);
    const activity = await waitFor('the rollback in the Activity tree', async () => {
      const rows = await api.activityTree();
      return rows.some((r) => r.label === 'web-3: rollback done') && rows;
    }, [changed]);
    // Newest first: the rollback is above its own dry run and the snapshots.
    const labels = activity.map((r) => r.label);
    assert.ok(labels.indexOf('web-3: rollback done') < labels.indexOf('web-3: rollback planned'), labels.join('\n'));
    assert.ok(labels.includes('web-3: snapshot done'), labels.join('\n'));
  });

  it('answers a fleet worker’s pending approval from the editor; the answer is in the store for the worker', async () => {
    // A `plumbline serve` worker asks through the store; the request is written here as a worker writes it.
    const file = path.join(labDir, '.plumbline', 'plumbline.db');
    assert.ok(fs.existsSync(file), `the workspace store at ${file}`);
    const store = Store.open(file);
    try {
      const request = {
        tier: 2,
        action: 'switch',
        why: 'errors on the serving colour (blue); green is healthy',
        plan: { message: 'dry run', steps: [{ title: 'point the upstream at green', command: "sh -c 'upstream green'" }] },
      };
      const id = store.fleet().requestApproval('lab', 'web-2', 'worker-a', 7, request);
      const asked: ModalRequest[] = [];
      api.setModalHook(async (m) => {
        asked.push(m);
        return m.buttons.find((b) => b.startsWith('Approve'));
      });
      let answer: { ok: boolean; message: string } | undefined;
      try {
        answer = await vscode.commands.executeCommand<{ ok: boolean; message: string }>('plumbline.fleetApprovals', { env: 'lab', id });
      } finally {
        api.setModalHook(undefined);
      }
      assert.equal(asked.length, 1, 'one modal with what the worker would run');
      assert.match(asked[0].message, /tier 2 switch on web-2\?$/);
      assert.match(asked[0].detail, /Worker worker-a holds web-2 \(environment lab\)/);
      assert.match(asked[0].detail, /1\. \$ sh -c 'upstream green'/);
      assert.ok(answer?.ok, answer?.message);
      const answered = store.fleet().approval(id);
      assert.equal(answered?.state, 'approved');
      assert.ok(answered?.answeredBy, 'who approved is recorded');
      // An answered request is not answered again.
      const again = await vscode.commands.executeCommand<{ ok: boolean; message: string }>('plumbline.fleetApprovals', { env: 'lab', id });
      assert.equal(again?.ok, false);
      assert.match(again?.message ?? '', new RegExp(`no pending approval #${id}`));
    } finally {
      store.close();
    }
  });

  it('watches the lab: risk per host and layer in the tree, the status bar and the hover', async () => {
    await vscode.commands.executeCommand('plumbline.startWatching', { env: 'lab' });
    try {
      const rows = await waitFor('every host with a risk', () => {
        const rows = hostRows(api);
        return rows.length === 3 && rows.every((r) => /· ok \d\.\d\d/.test(r.description ?? '')) && rows;
      }, [changed]);
      for (const r of rows) {
        assert.match(r.contextValue ?? '', /^plumbline\.host\.clean\.risk-ok$/, JSON.stringify(r));
        assert.deepEqual(r.children?.map((c) => c.label), ['hardware', 'os', 'app'], JSON.stringify(r));
        for (const l of r.children ?? []) assert.match(l.description ?? '', /^ok \d\.\d\d/);
      }
      assert.match(api.statusText(), /lab: ok, 3 hosts watched/);
      const doc = await vscode.workspace.openTextDocument(config);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', config, doc.positionAt(doc.getText().indexOf('web-2') + 1));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /risk: \*\*ok\*\*/);
      assert.match(text, /\| hardware \| ok \|/);
    } finally {
      await vscode.commands.executeCommand('plumbline.stopWatching', 'lab');
    }
    await waitFor('the tree shows the watch stopped', () => api.view()?.environments[0]?.watching === false, [changed]);
  });
});

/**
 * Workspace Trust, in a real VS Code with trust enabled and the lab workspace not trusted
 * (restricted mode): Plumbline activates and validates plumbline.yaml, and nothing the workspace
 * defines runs — no SSH, no actions, no watch. Runs before any trusted suite on the same lab, so
 * "no store was ever opened" is the proof that nothing connected.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ModalRequest, PlumblineTestApi } from '../../../server/src/protocol/protocol';
import { runSettings } from './settings';
import { waitFor } from './waitFor';

describe('Plumbline in an untrusted workspace (restricted mode)', () => {
  const labDir = runSettings().labDir;
  const config = vscode.Uri.file(path.join(labDir, 'plumbline.yaml'));
  let api: PlumblineTestApi;
  let changed: vscode.Event<void>;

  before(async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opens the lab untrusted');
    const ext = vscode.extensions.getExtension<PlumblineTestApi>('plumbline.plumbline');
    assert.ok(ext);
    api = await ext.activate();
    changed = api.onDidChange;
    await waitFor('the fleet view', () => api.view(), [changed]);
  });

  it('activates, says why it does not connect, and opens no engine', () => {
    const view = api.view()!;
    assert.equal(view.trusted, false);
    assert.deepEqual(view.environments, []);
    assert.match(view.message ?? '', /workspace not trusted/);
    assert.match(api.environmentsTree()[0]?.label ?? '', /workspace not trusted/);
  });

  it('still validates plumbline.yaml, with exact ranges', async () => {
    const original = fs.readFileSync(config.fsPath, 'utf8');
    const doc = await vscode.workspace.openTextDocument(config);
    const editor = await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('interval: 2s');
    assert.ok(at >= 0);
    const range = new vscode.Range(doc.positionAt(at + 'interval: '.length), doc.positionAt(at + 'interval: 2s'.length));
    await editor.edit((e) => e.replace(range, 'often'));
    try {
      const d = await waitFor('a validation diagnostic', () => vscode.languages.getDiagnostics(config).find((x) => x.source === 'plumbline' && x.range.start.line === range.start.line), [vscode.languages.onDidChangeDiagnostics]);
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(d.range.start.character, range.start.character, d.message);
    } finally {
      // Put the text back through the editor (auto-save may have written the broken one) and save it.
      await editor.edit((e) => e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), original));
      await doc.save();
    }
    assert.equal(fs.readFileSync(config.fsPath, 'utf8'), original, 'plumbline.yaml is as it was');
    await waitFor('no validation diagnostic', () => !vscode.languages.getDiagnostics(config).some((x) => x.source === 'plumbline'), [vscode.languages.onDidChangeDiagnostics]);
  });

  it('refuses every command that would reach a host, before asking anything', async () => {
    const asked: ModalRequest[] = [];
    api.setModalHook(async (m) => {
      asked.push(m);
      return m.buttons[0];
    });
    try {
      for (const [command, arg] of [
        ['plumbline.captureBaseline', 'lab'],
        ['plumbline.diff', 'lab'],
        ['plumbline.checkHosts', 'lab'],
        ['plumbline.takeSnapshot', 'lab'],
        ['plumbline.installAgent', 'lab'],
        ['plumbline.startWatching', { env: 'lab' }],
        ['plumbline.rollback', { env: 'lab', host: 'web-1' }],
        ['plumbline.remediate', { env: 'lab', host: 'web-1' }],
        ['plumbline.switchColour', { env: 'lab', host: 'web-1' }],
        ['plumbline.markExpected', { env: 'lab', host: 'web-1', metric: 'all' }],
        ['plumbline.fleetApprovals', { env: 'lab', id: 1 }],
      ] as const) {
        assert.equal(await vscode.commands.executeCommand(command, arg), undefined, `${command} did nothing`);
      }
    } finally {
      api.setModalHook(undefined);
    }
    assert.deepEqual(asked, [], 'no modal: nothing got as far as a plan');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', config);
    assert.deepEqual(lenses.map((l) => l.command?.title.replace(/:.*/, '')), ['Plumbline'], 'only the state lens, no Capture/Diff');
    assert.equal(fs.existsSync(path.join(labDir, '.plumbline')), false, 'no store was opened: nothing connected');
  });
});

/**
 * One activation measurement inside a real VS Code extension host (loaded as extensionTestsPath
 * by scripts/editor-bench.mjs): shows the Plumbline sidebar, waits for the Environments tree's
 * first render with environments, and writes the extension's own timings.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { PlumblineApi } from '../../../server/src/protocol/protocol';
import { runSettings } from '../suite/settings';

export async function run(): Promise<void> {
  const settings = runSettings();
  const ext = vscode.extensions.getExtension<PlumblineApi>('plumbline.plumbline');
  if (!ext) throw new Error('plumbline.plumbline is not loaded');
  const api = await ext.activate();
  await vscode.commands.executeCommand('workbench.view.extension.plumbline');
  const rendered = await Promise.race([
    api.firstTreeRender,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no tree render within 60 s')), 60_000)),
  ]);
  const t = api.timings;
  const result = {
    activationMs: t.activateEnd - t.activateStart,
    activationToFirstTreeRenderMs: rendered - t.activateStart,
  };
  if (settings.benchFile) fs.writeFileSync(settings.benchFile, `${JSON.stringify(result)}\n`);
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Written by the harness into the workspace it opens (scripts/editor-test.mjs). */
export interface RunSettings {
  /** The lab dir (also the workspace folder): hosts are reached through it. */
  labDir: string;
  resultsFile?: string;
  /** For the activation benchmark: where to write timings. */
  benchFile?: string;
  files?: string[];
  grep?: string;
}

export const SETTINGS_FILE = '.plumbline-editor-test.json';

export function runSettings(): RunSettings {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('the editor tests need a workspace folder (the lab dir)');
  const file = path.join(folder, SETTINGS_FILE);
  if (!fs.existsSync(file)) return { labDir: folder };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunSettings;
}

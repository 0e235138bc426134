import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection, Diagnostic } from 'vscode-languageserver';
import { configDiagnostics } from './configDiagnostics';
import { fileDiagnostics, fileUri, hostEntryDiagnostics } from './driftDiagnostics';
import type { WorkspaceSession } from './session';

/**
 * Publishes every diagnostic the server owns: plumbline.yaml (validation + host entries) and the
 * mapped workspace files (drift). Remembers what it published so files that no longer drift clear.
 */
export class DiagnosticsPublisher {
  private published = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly session: WorkspaceSession,
    /** Text of plumbline.yaml as the editor has it (unsaved edits included), else undefined. */
    private readonly openText: (file: string) => string | undefined,
  ) {}

  publish(configFile: string): void {
    const byFile = new Map<string, Diagnostic[]>();
    const text = this.openText(configFile) ?? readText(configFile);
    byFile.set(configFile, text === undefined ? [] : configDiagnostics(text, configFile));
    const dir = path.dirname(configFile);
    for (const env of this.session.environments()) {
      byFile.get(configFile)!.push(...hostEntryDiagnostics(env, this.session.hostViews(env.name)));
      const files = fileDiagnostics(env, dir, this.session.lastDrifts(env.name), {
        readLocal: (local) => this.openText(path.resolve(dir, local)) ?? readText(path.resolve(dir, local)),
        hostLines: (host, remote, side) => this.session.hostLines(env.name, host, remote, side),
      });
      for (const [file, diags] of files) byFile.set(file, [...(byFile.get(file) ?? []), ...diags]);
    }
    const now = new Set<string>();
    for (const [file, diagnostics] of byFile) {
      const uri = fileUri(file);
      now.add(uri);
      void this.connection.sendDiagnostics({ uri, diagnostics });
    }
    for (const uri of this.published) if (!now.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.published = now;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

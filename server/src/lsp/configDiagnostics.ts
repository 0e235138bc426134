import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { parseConfig } from '../config/load';

/** plumbline.yaml validation errors as LSP diagnostics with their exact ranges. */
export function configDiagnostics(text: string, file: string): Diagnostic[] {
  return parseConfig(text, file).errors.map((e) => ({
    range: e.range,
    severity: DiagnosticSeverity.Error,
    source: 'plumbline',
    message: e.message,
  }));
}

import type { Connection } from 'vscode-languageserver';
import type { PlumblineSettings } from '../protocol/protocol';

/**
 * `plumbline.*` settings read per resource through `workspace/configuration`, cached per URI
 * and dropped on `workspace/didChangeConfiguration`. Never a global: each folder may differ.
 */
export class SettingsCache {
  private readonly cache = new Map<string, Promise<PlumblineSettings>>();

  constructor(private readonly connection: Connection) {}

  get(scopeUri: string): Promise<PlumblineSettings> {
    let s = this.cache.get(scopeUri);
    if (!s) {
      s = this.connection.workspace
        .getConfiguration({ scopeUri, section: 'plumbline' })
        .then((v: unknown) => normalize(v))
        // A client without workspace/configuration gets the defaults.
        .catch(() => ({}));
      this.cache.set(scopeUri, s);
    }
    return s;
  }

  invalidate(): void {
    this.cache.clear();
  }
}

function normalize(v: unknown): PlumblineSettings {
  const o = (v ?? {}) as Record<string, unknown>;
  const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined);
  const sshConfig = str(o.sshConfig);
  const knownHosts = str(o.knownHosts);
  const dataFolder = str(o.dataFolder);
  const storeUrl = str(o.storeUrl);
  return { ...(sshConfig ? { sshConfig } : {}), ...(knownHosts ? { knownHosts } : {}), ...(dataFolder ? { dataFolder } : {}), ...(storeUrl ? { storeUrl } : {}) };
}

/**
 * Every custom message between the extension (client) and the analysis server, typed in one
 * place that both sides import. No string method names at call sites.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

export interface EnvironmentSummary {
  name: string;
  hosts: string[];
}

export interface EnvironmentsParams {
  /** URI of the plumbline.yaml to read. */
  uri: string;
}

/** client → server: list the environments of a workspace file, for the tree and the environment picker. */
export namespace Environments {
  export const method = 'plumbline/environments';
  export const type = new RequestType<EnvironmentsParams, EnvironmentSummary[], void>(method);
}

export interface ServerStatusParams {
  state: 'ok' | 'warning' | 'error';
  message: string;
}

/** server → client: the server's own health, shown in the status bar. */
export namespace ServerStatus {
  export const method = 'plumbline/serverStatus';
  export const type = new NotificationType<ServerStatusParams>(method);
}

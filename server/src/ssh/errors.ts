/**
 * Everything that can go wrong reaching a host, as data. SSH operations return these in a
 * Result instead of throwing, so one bad host never stops the others.
 */
export type SshError =
  | {
      kind: 'HostKeyMismatch';
      host: string;
      keyType: string;
      /** Fingerprint the host offered, `SHA256:...`. */
      actual: string;
      /** Fingerprints known_hosts holds for this host. */
      expected: string[];
      knownHostsFile: string;
      line: number;
    }
  | { kind: 'UnknownHostKey'; host: string; keyType: string; fingerprint: string }
  | { kind: 'RevokedHostKey'; host: string; keyType: string; fingerprint: string; knownHostsFile: string; line: number }
  | { kind: 'Unreachable'; host: string; message: string }
  | { kind: 'Timeout'; host: string; phase: 'connect' | 'command'; ms: number }
  | { kind: 'AuthFailed'; host: string; message: string }
  | { kind: 'ConfigError'; host: string; message: string }
  | { kind: 'ChannelError'; host: string; message: string }
  /** The host sent more than the cap on one output: the command was stopped, nothing kept. */
  | { kind: 'OutputTooLarge'; host: string; what: 'stdout' | 'stream line'; limit: number };

export type SshErrorKind = SshError['kind'];

/** One sentence a person can act on. Never contains key material, only fingerprints. */
export function describeSshError(e: SshError): string {
  switch (e.kind) {
    case 'HostKeyMismatch':
      return (
        `The ${e.keyType} host key of ${e.host} has changed: it now offers ${e.actual} but ` +
        `${e.knownHostsFile} line ${e.line} expects ${e.expected.join(' or ')}; this can mean someone is ` +
        `intercepting the connection, so Plumbline refused it — if the change is expected (the host was ` +
        `reinstalled or its keys rotated), remove line ${e.line} from ${e.knownHostsFile} and connect again.`
      );
    case 'UnknownHostKey':
      return (
        `${e.host} offered a ${e.keyType} host key (${e.fingerprint}) that is not in known_hosts, and nobody ` +
        `confirmed it; verify the fingerprint out of band, then accept it or add it with ssh-keyscan.`
      );
    case 'RevokedHostKey':
      return (
        `${e.host} offered the ${e.keyType} host key ${e.fingerprint}, which ${e.knownHostsFile} line ${e.line} ` +
        `marks @revoked; Plumbline never connects with a revoked key — the host must get a new key.`
      );
    case 'Unreachable':
      return `Cannot reach ${e.host}: ${e.message}.`;
    case 'Timeout':
      return e.phase === 'connect'
        ? `Connecting to ${e.host} did not complete within ${e.ms} ms.`
        : `The command on ${e.host} did not finish within ${e.ms} ms and was stopped; the connection stays open.`;
    case 'AuthFailed':
      return `Authentication to ${e.host} failed: ${e.message}.`;
    case 'ConfigError':
      return `SSH configuration for ${e.host} is not usable: ${e.message}.`;
    case 'ChannelError':
      return `Running a command on ${e.host} failed: ${e.message}.`;
    case 'OutputTooLarge':
      return (
        `${e.host} sent more than ${e.limit.toLocaleString('en')} bytes ${e.what === 'stdout' ? 'on stdout' : 'in one line of its stream'}, ` +
        `so Plumbline stopped the command and kept none of it; the host (or a file it reads) is misbehaving — look at it before trusting its answers.`
      );
  }
}

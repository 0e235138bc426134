import { LabError } from './errors';
import { run, runOk } from './run';

/**
 * The lab's network: a bridge with a private /24 reserved for the lab, one network namespace
 * per host with a veth into the bridge, and an nftables table that stops hosts from opening
 * connections into the machine or anywhere outside the lab. Several labs can be up at once;
 * each takes a slot, and the slot names everything it owns.
 */
export const MAX_SLOTS = 16;

export interface LabNetwork {
  slot: number;
  bridge: string;
  subnet: string;
  gateway: string;
  nftTable: string;
}

export function networkForSlot(slot: number): LabNetwork {
  const third = 77 + slot;
  return {
    slot,
    bridge: `plb${slot}`,
    subnet: `10.213.${third}.0/24`,
    gateway: `10.213.${third}.1`,
    nftTable: `plumbline_lab${slot}`,
  };
}

export function hostAddress(net: LabNetwork, index: number): string {
  return `${net.gateway.replace(/\.1$/, '')}.${11 + index}`;
}

export function netnsName(net: LabNetwork, host: string): string {
  return `${net.bridge}-${host}`;
}

/** Host-side veth name; interface names are limited to 15 characters. */
export function vethName(net: LabNetwork, index: number): string {
  return `${net.bridge}v${index + 1}`;
}

/** Claims a free slot by creating its bridge: creation fails when another lab holds it. */
export async function createBridge(): Promise<LabNetwork> {
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const net = networkForSlot(slot);
    const r = await run('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    if (r.code !== 0) {
      if (/exists/i.test(r.stderr)) continue;
      throw new LabError(`cannot create bridge ${net.bridge}: ${r.stderr.trim()}`);
    }
    await runOk('ip', ['-batch', '-'], {
      input: [`addr add ${net.gateway}/24 dev ${net.bridge}`, `link set ${net.bridge} up`].join('\n') + '\n',
    });
    // Namespaces of this slot without its bridge are leftovers of a lab that died without "down".
    await removeNamespaces(net, () => undefined);
    await run('nft', ['delete', 'table', 'inet', net.nftTable]);
    return net;
  }
  throw new LabError(`all ${MAX_SLOTS} lab networks (bridges plb0..plb${MAX_SLOTS - 1}) are in use; run "lab down" for a stale lab`);
}

/** Installs the isolation rules. The machine can connect to hosts; hosts cannot connect back or out. */
export async function guardBridge(net: LabNetwork): Promise<void> {
  const rules = `
table inet ${net.nftTable} {
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "${net.bridge}" ct state established,related accept
    iifname "${net.bridge}" drop
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "${net.bridge}" ip daddr != ${net.subnet} drop
    iifname "${net.bridge}" meta nfproto ipv6 drop
    oifname "${net.bridge}" ct state established,related accept
    oifname "${net.bridge}" ip saddr != ${net.subnet} drop
  }
}
`;
  await runOk('nft', ['-f', '-'], { input: rules });
}

/** Creates the namespaces and veths of several hosts with one `ip` process, then addresses each inside. */
export async function createHostLinks(net: LabNetwork, hosts: Array<{ netns: string; address: string; index: number }>): Promise<void> {
  const outside = hosts.flatMap((h) => [
    `netns add ${h.netns}`,
    `link add ${vethName(net, h.index)} type veth peer name eth0 netns ${h.netns}`,
    `link set ${vethName(net, h.index)} master ${net.bridge} up`,
  ]);
  await runOk('ip', ['-batch', '-'], { input: outside.join('\n') + '\n' });
  await Promise.all(
    hosts.map((h) =>
      runOk('ip', ['-n', h.netns, '-batch', '-'], {
        input: [`link set lo up`, `addr add ${h.address}/24 dev eth0`, `link set eth0 up`].join('\n') + '\n',
      }),
    ),
  );
}

/** Deletes the slot's network namespaces (named `<bridge>-<host>`), in parallel. */
async function removeNamespaces(net: LabNetwork, log: (line: string) => void): Promise<void> {
  const listed = await run('ip', ['netns', 'list']);
  const prefix = `${net.bridge}-`;
  const present = [...new Set(listed.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix)))];
  await Promise.all(
    present.map(async (n) => {
      const r = await run('ip', ['netns', 'del', n]);
      if (r.code !== 0 && !/No such file/i.test(r.stderr)) log(`ip netns del ${n}: ${r.stderr.trim()}`);
    }),
  );
}

/** Removes everything a slot may own; each step tolerates "already gone". */
export async function removeNetwork(net: LabNetwork, log: (line: string) => void): Promise<void> {
  await removeNamespaces(net, log);
  const links = await run('ip', ['-o', 'link', 'show']);
  const veths = links.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && new RegExp(`^${net.bridge}v\\d+$`).test(n));
  const [nft] = await Promise.all([run('nft', ['delete', 'table', 'inet', net.nftTable]), ...veths.map((v) => run('ip', ['link', 'del', v]))]);
  if (nft.code !== 0 && !/No such file|does not exist/i.test(nft.stderr)) log(`nft delete table: ${nft.stderr.trim()}`);
  // The bridge goes last: it is the slot's claim, and another lab may take the slot once it is gone.
  const br = await run('ip', ['link', 'del', net.bridge]);
  if (br.code !== 0 && !/Cannot find device|does not exist/i.test(br.stderr)) log(`ip link del ${net.bridge}: ${br.stderr.trim()}`);
}

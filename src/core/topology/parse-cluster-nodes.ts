import type { ParseResult } from '../errors.ts';
import type { NodeFlag, NodeView, SlotMove, SlotRange } from '../types.ts';
import { parseSlotToken } from './slots.ts';

const KNOWN_FLAGS: ReadonlySet<string> = new Set<NodeFlag>([
  'myself',
  'master',
  'slave',
  'fail?',
  'fail',
  'handshake',
  'noaddr',
  'nofailover',
  'noflags',
]);
const OPEN_SLOT = /^\[(\d{1,5})-([<>])-([0-9a-f]{40})\]$/i;

/**
 * Parses the text of `CLUSTER NODES` (Redis 3 to 7, Valkey): one node per line,
 * `<id> <ip:port@cport[,hostname]> <flags> <master|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>…`.
 *
 * Address forms: `ip:port@cport`, `ip:port@cport,hostname` (extra `,key=value` fields ignored),
 * `ip:port` (Redis 3/4), IPv6 `::1:port@cport` or `[::1]:port@cport`,
 * `:0@0` (noaddr: addr null) and `:6379@16379` (a node that does not know its own IP yet: host '', addr null).
 * Empty lines are ignored; any other line that does not read is an error quoting it.
 */
export function parseClusterNodes(text: string): ParseResult<NodeView[]> {
  const views: NodeView[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      return { ok: false, error: `CLUSTER NODES line ${i + 1}: ${parsed}: "${clip(line)}"` };
    }
    views.push(parsed);
  }
  return { ok: true, value: views };
}

/** 40 hex digits (a char loop: this runs for every line of every observer). */
export function isNodeId(s: string): boolean {
  if (s.length !== 40) return false;
  for (let i = 0; i < 40; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function clip(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** One line → a view, or a string saying what is wrong. */
function parseLine(line: string): NodeView | string {
  // Redis separates fields with one space; anything else (pasted text) takes the slower path.
  let f = line.split(' ');
  if (f.includes('') || line.includes('\t')) f = line.split(/\s+/);
  if (f.length < 8) return `expected at least 8 fields, found ${f.length}`;
  const [id, addrField, flagsField, masterField, pingField, pongField, epochField, linkField] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!isNodeId(id)) return `"${id}" is not a 40-character node id`;

  const addr = parseAddress(addrField);
  if (typeof addr === 'string') return addr;

  const flags: NodeFlag[] = [];
  for (const flag of flagsField.split(',')) {
    if (KNOWN_FLAGS.has(flag)) flags.push(flag as NodeFlag);
    // A flag a newer server invented is skipped; anything else is not a flag list.
    else if (!/^[a-z][a-z_?-]*$/.test(flag)) return `"${flagsField}" is not a flag list`;
  }

  let masterId: string | null = null;
  if (masterField !== '-') {
    if (!isNodeId(masterField)) return `"${masterField}" is neither "-" nor a master node id`;
    masterId = masterField.toLowerCase();
  }

  const pingSent = toCount(pingField);
  const pongRecv = toCount(pongField);
  const configEpoch = toCount(epochField);
  if (pingSent === undefined) return `ping-sent "${pingField}" is not a number`;
  if (pongRecv === undefined) return `pong-recv "${pongField}" is not a number`;
  if (configEpoch === undefined) return `config-epoch "${epochField}" is not a number`;
  if (linkField !== 'connected' && linkField !== 'disconnected') {
    return `link state "${linkField}" is neither connected nor disconnected`;
  }

  const slots: SlotRange[] = [];
  const migrating: SlotMove[] = [];
  const importing: SlotMove[] = [];
  for (let k = 8; k < f.length; k++) {
    const token = f[k]!;
    const range = parseSlotToken(token);
    if (range) {
      slots.push(range);
      continue;
    }
    const open = OPEN_SLOT.exec(token);
    const slot = open ? Number(open[1]) : Number.NaN;
    if (!open || slot > 16383) return `"${token}" is not a slot, a slot range or an open-slot marker`;
    const move = { slot, nodeId: open[3]!.toLowerCase() };
    if (open[2] === '>') migrating.push(move);
    else importing.push(move);
  }

  const view: NodeView = {
    id: id.toLowerCase(),
    addr: addr.host === '' || addr.port === 0 ? null : `${addr.host}:${addr.port}`,
    host: addr.host,
    port: addr.port,
    flags,
    masterId,
    pingSent,
    pongRecv,
    configEpoch,
    link: linkField,
    slots,
    migrating,
    importing,
  };
  if (addr.cport !== undefined) view.cport = addr.cport;
  if (addr.hostname) view.hostname = addr.hostname;
  return view;
}

function toCount(s: string): number | undefined {
  if (s.length === 0 || s.length > 15) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

interface ParsedAddress {
  host: string;
  port: number;
  cport?: number;
  hostname?: string;
}

function parseAddress(field: string): ParsedAddress | string {
  const bad = `"${field}" is not an address (ip:port@cport)`;
  const [hostPortCport = '', hostname, ...aux] = field.split(',');
  // Redis 7.2+ may add key=value fields after the hostname; they carry nothing we use.
  if (aux.some((a) => !a.includes('='))) return bad;
  const at = hostPortCport.lastIndexOf('@');
  const hostPort = at === -1 ? hostPortCport : hostPortCport.slice(0, at);
  let cport: number | undefined;
  if (at !== -1) {
    cport = toPort(hostPortCport.slice(at + 1));
    if (cport === undefined) return bad;
  }
  const colon = hostPort.lastIndexOf(':');
  if (colon === -1) return bad;
  let host = hostPort.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = toPort(hostPort.slice(colon + 1));
  if (port === undefined) return bad;
  if (host !== '' && !/^[0-9A-Za-z.:%_-]+$/.test(host)) return bad;
  const out: ParsedAddress = { host, port };
  if (cport !== undefined) out.cport = cport;
  if (hostname !== undefined && hostname !== '' && !hostname.includes('=')) out.hostname = hostname;
  return out;
}

function toPort(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

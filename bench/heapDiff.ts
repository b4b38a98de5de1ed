/**
 * What one heap holds per stream that another does not: `node --max-old-space-size=6000 --import tsx
 * bench/heapDiff.ts A.heapsnapshot B.heapsnapshot [--per 500] [--top 60] [--where]`, with two snapshots of
 * bench/httpConcurrency.ts at the same moment (`HEAPSNAP=/tmp/relay` writes them, one per relay).
 *
 * Sums the self size of every node by a key and prints B − A per `--per` (the stream count),
 * largest first. The key names what a node is, not only its constructor: an object is its
 * constructor and its property names (a closure's context is `system / Context{its variables}`,
 * which says whose scope it is), a closure its function name, strings by kind. A node a stream
 * holds shows up with a count near a whole number per stream. With `--where`, a closure is also
 * keyed by where its function is (`@script:line:column`, lines of the bundle the snapshot ran):
 * anonymous ones (an arrow passed as a callback) are told apart. Compare snapshots of one bundle
 * then (the relays of one run), since a location means nothing in another build.
 */
import { readFileSync } from 'node:fs';

interface Totals {
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
  /** Per closure (and some other nodes): its node's index in `nodes`, script id, line, column. */
  locations?: number[];
}

function totalsByKey(file: string, where: boolean): Map<string, Totals> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const {
    node_fields: nodeFields,
    node_types: nodeTypes,
    edge_fields: edgeFields,
    edge_types: edgeTypes,
  } = heap.snapshot.meta;
  const nodeSize = nodeFields.length;
  const edgeSize = edgeFields.length;
  const typeAt = nodeFields.indexOf('type');
  const nameAt = nodeFields.indexOf('name');
  const selfAt = nodeFields.indexOf('self_size');
  const edgeCountAt = nodeFields.indexOf('edge_count');
  const edgeTypeAt = edgeFields.indexOf('type');
  const edgeNameAt = edgeFields.indexOf('name_or_index');
  const { nodes, edges, strings } = heap;
  const locationOf = new Map<number, string>();
  const locations = where ? (heap.locations ?? []) : [];
  for (let at = 0; at < locations.length; at += 4)
    locationOf.set(locations[at]!, ` @${locations[at + 1]}:${locations[at + 2]! + 1}:${locations[at + 3]}`);
  const totals = new Map<string, Totals>();
  let edge = 0;
  for (let node = 0; node < nodes.length; node += nodeSize) {
    const edgeCount = nodes[node + edgeCountAt]!;
    const type = nodeTypes[0][nodes[node + typeAt]!]!;
    const name = strings[nodes[node + nameAt]!]!;
    let key: string;
    if (type === 'object') {
      const properties: string[] = [];
      for (let at = edge; at < edge + edgeCount * edgeSize; at += edgeSize) {
        const edgeType = edgeTypes[0][edges[at + edgeTypeAt]!];
        if (edgeType === 'context' || edgeType === 'property')
          properties.push(strings[edges[at + edgeNameAt]!]!);
      }
      key = `${name}{${properties.join(',').slice(0, 160)}}`;
    } else if (type === 'closure') key = `closure ${name || '(anonymous)'}${locationOf.get(node) ?? ''}`;
    else if (type.includes('string')) key = `(${type})`;
    else key = `(${type}) ${name.slice(0, 60)}`;
    const totalsOfKey = totals.get(key) ?? { count: 0, bytes: 0 };
    totalsOfKey.count++;
    totalsOfKey.bytes += nodes[node + selfAt]!;
    totals.set(key, totalsOfKey);
    edge += edgeCount * edgeSize;
  }
  return totals;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1]!;
};
const [fileA, fileB] = args;
if (fileA === undefined || fileB === undefined) {
  console.error('usage: heapDiff.ts A.heapsnapshot B.heapsnapshot [--per streams] [--top rows] [--where]');
  process.exit(2);
}
const per = Number(option('per', '1'));
const top = Number(option('top', '60'));
const where = args.includes('--where');
const a = totalsByKey(fileA, where);
const b = totalsByKey(fileB, where);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((key) => {
  const before = a.get(key) ?? { count: 0, bytes: 0 };
  const after = b.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: (after.count - before.count) / per, bytes: (after.bytes - before.bytes) / per };
});
const sum = (totals: Map<string, Totals>) => [...totals.values()].reduce((total, t) => total + t.bytes, 0);
console.log(`B − A: ${((sum(b) - sum(a)) / per).toFixed(0)} bytes per ${per === 1 ? 'heap' : 'stream'}`);
console.log('count      bytes  what');
rows.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
for (const row of rows.slice(0, top))
  console.log(`${row.count.toFixed(2).padStart(6)} ${row.bytes.toFixed(0).padStart(9)}  ${row.key}`);

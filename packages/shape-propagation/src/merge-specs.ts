import { ArchDefError, type BlockLocation, type BlockNode, type BlockSpec, type ConvNode, type SeNode } from '@fbnet/core';
import { isDepthwiseLike } from './arch-graph.ts';
import type { EffectiveCount, EffectiveNode } from './effective-graph.ts';

/**
 * A count given per joint configuration of `keys` (row-major), in its smallest form: axes it
 * does not depend on are dropped, so a count fixed for every choice is a number (eq. 8) and
 * one that follows a single choice is `{choice, options}` (eq. 5).
 */
export function compactCount(values: number[], keys: string[], dims: number[]): EffectiveCount {
  let t = values;
  let ks = [...keys];
  let ds = [...dims];
  for (let k = ks.length - 1; k >= 0; k--) {
    const d = ds[k];
    const inner = ds.slice(k + 1).reduce((a, b) => a * b, 1);
    const outer = t.length / (d * inner);
    let constant = true;
    for (let o = 0; o < outer && constant; o++) {
      for (let i = 1; i < d && constant; i++) {
        for (let j = 0; j < inner; j++) {
          if (t[(o * d + i) * inner + j] !== t[o * d * inner + j]) {
            constant = false;
            break;
          }
        }
      }
    }
    if (!constant) continue;
    const next: number[] = [];
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) next.push(t[o * d * inner + j]);
    t = next;
    ks.splice(k, 1);
    ds.splice(k, 1);
  }
  if (ks.length === 0) return t[0];
  if (ks.length === 1) return { choice: ks[0], options: t };
  return { choices: ks, table: t };
}

/**
 * Merge the specs one block takes under every joint configuration of `keys` (row-major over
 * `dims`) into one list of effective nodes whose counts are tables over those choices. Nodes
 * are matched by name; a node missing in some configurations (a pointwise conv dropped where
 * in == mid, a skip's projection dropped where it is an identity) gets a 0/1 gate.
 */
export function mergeBlockSpecs(specs: BlockSpec[], keys: string[], dims: number[], loc?: BlockLocation): EffectiveNode[] {
  const fail = (msg: string): never => {
    throw new ArchDefError(`${specs[0].op}: ${msg}`, loc);
  };
  const lists = specs.map((s) => s.nodes.filter((n) => n.kind !== 'shuffle'));
  const names: string[] = [];
  for (const list of lists) {
    let pos = 0;
    for (const n of list) {
      const i = names.indexOf(n.name);
      if (i === -1) names.splice(pos++, 0, n.name);
      else pos = i + 1;
    }
  }
  const count = (values: number[]) => compactCount(values, keys, dims);
  const cur = specs.map((s) => s.inChannels);
  const out: EffectiveNode[] = [];
  for (const name of names) {
    const nodes = lists.map((l) => l.find((n) => n.name === name));
    const present = nodes.filter((n): n is Exclude<BlockNode, { kind: 'shuffle' }> => n !== undefined);
    const kind = present[0].kind;
    if (present.some((n) => n.kind !== kind)) fail(`node "${name}" changes kind across channel choices`);
    const gateValues = nodes.map((n) => (n ? 1 : 0));
    const gate = gateValues.every((g) => g === 1) ? undefined : count(gateValues);
    if (kind === 'gpool') {
      if (gate !== undefined) fail(`global pool "${name}" exists only for some channel choices`);
      out.push({ kind: 'gpool', name });
    } else if (kind === 'se') {
      const mid = count(nodes.map((n) => (n ? (n as SeNode).midChannels : 0)));
      out.push(gate === undefined ? { kind: 'se', name, mid } : { kind: 'se', name, mid, gate });
    } else {
      const convs = nodes as (ConvNode | undefined)[];
      const p = present[0] as ConvNode;
      if ((present as ConvNode[]).some((n) => n.kernel !== p.kernel || n.stride !== p.stride || n.padding[0] !== p.padding[0] || n.padding[1] !== p.padding[1])) {
        fail(`conv "${name}" changes kernel, stride or padding across channel choices`);
      }
      const base = { kind: 'conv' as const, name, kernel: p.kernel, stride: p.stride, padding: [p.padding[0], p.padding[1]] as [number, number] };
      const isDw = (present as ConvNode[]).every(isDepthwiseLike);
      let node: EffectiveNode;
      if (isDw) {
        const width = count(convs.map((n) => (n ? n.inChannels / n.groups : 1)));
        node = width === 1 ? { ...base, out: 'same' } : { ...base, out: 'same', groupWidth: width };
      } else {
        const outs = convs.map((n, i) => (n ? n.outChannels : cur[i]));
        const groups = (present as ConvNode[]).map((n) => n.groups);
        node = { ...base, out: count(outs) };
        if (groups.some((g) => g !== groups[0])) node.groupWidth = count(convs.map((n) => (n ? n.inChannels / n.groups : 1)));
        else if (groups[0] > 1) node.groups = groups[0];
        outs.forEach((c, i) => (cur[i] = c));
      }
      if (gate !== undefined) node.gate = gate;
      out.push(node);
    }
  }
  specs.forEach((s, i) => {
    if (cur[i] !== s.outChannels) fail(`merged nodes end at ${cur[i]} channels, the block outputs ${s.outChannels}`);
  });
  return out;
}

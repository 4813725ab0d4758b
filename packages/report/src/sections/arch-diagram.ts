import { allOpNames, archBlocks, parseArchDef, resolveArch, type ArchDef, type ParsedOpName } from '@fbnet/core';
import { archCost, type ArchCost } from '@fbnet/shape-propagation';
import { escapeXml } from '@fbnet/html';
import { siCount } from '../format.ts';

export interface ArchDiagramOptions {
  title?: string;
  /** Extra text per block instance (flat index, repeats expanded), e.g. "layer 3 · P=0.82". */
  notes?: readonly (string | undefined)[];
  /** Header of the notes column. */
  notesHeader?: string;
  /** Costs to print per block (default: computed with archCost; omitted if the arch cannot be costed). */
  cost?: ArchCost | null;
}

/** Colour by op kind and kernel: what the eye should pick up first in an FBNet arch. */
export const OP_KIND_COLORS = {
  conv: '#59a14f',
  ir_k3: '#4e79a7',
  ir_k5: '#f28e2b',
  ir_pool: '#b07aa1',
  skip: '#bab0ac',
} as const;
export type OpKind = keyof typeof OP_KIND_COLORS;

const OP_NAMES = new Map<string, ParsedOpName>(allOpNames().map((p) => [p.name, p]));

export function opKind(op: string): OpKind {
  const p = OP_NAMES.get(op);
  if (!p) return 'skip';
  if (p.family === 'ir') return p.kernel === 5 ? 'ir_k5' : 'ir_k3';
  return p.family;
}

/** One drawn block instance. */
export interface DiagramBlock {
  index: number;
  stage: number;
  op: string;
  kind: OpKind;
  outChannels: number;
  stride: number;
  expansion?: number;
  residual: boolean;
  se: boolean;
  grouped: boolean;
  /** "ir_k5 e6 32", "skip 24", "conv_k3 16". */
  label: string;
}

/** The block instances of an arch def with the facts the diagram shows. */
export function diagramBlocks(def: ArchDef): DiagramBlock[] {
  const parsed = archBlocks(def);
  const resolved = resolveArch(def).blocks;
  return resolved.map((b) => {
    const entry = parsed.find((p) => p.stage === b.stage && p.block === b.block)!;
    const p = OP_NAMES.get(b.spec.op);
    const kind = opKind(b.spec.op);
    const expansion = kind === 'ir_k3' || kind === 'ir_k5' || kind === 'ir_pool' ? (entry.kwargs.expansion ?? 6) : undefined;
    const base = b.spec.op.replace(/_(hs|relu)$/, '');
    const label = `${base}${expansion !== undefined ? ` e${expansion}` : ''} ${b.spec.outChannels}`;
    return {
      index: b.index,
      stage: b.stage,
      op: b.spec.op,
      kind,
      outChannels: b.spec.outChannels,
      stride: b.spec.stride,
      expansion,
      residual: b.spec.residual,
      se: p ? p.se !== 'none' : false,
      grouped: p ? p.pwGroups > 1 : false,
      label,
    };
  });
}

const LANE = 150;

/**
 * An arch def drawn top to bottom as an HTML table, one row per block instance (repeats
 * expanded): a box whose width ∝ √channels and height ∝ expansion, coloured by op kind and
 * kernel (dashed outline: skip; split: grouped pointwise; dot: squeeze-excite; left arc:
 * residual), a red "↓2" on stride-2 rows, then label, output shape, FLOPs, params and notes.
 * Plain HTML and CSS (ARCH_CSS): text stays selectable and the table reflows.
 */
export function archDiagram(arch: ArchDef | unknown, o: ArchDiagramOptions = {}): string {
  const def = parseArchDef(arch);
  const blocks = diagramBlocks(def);
  let cost: ArchCost | undefined;
  if (o.cost !== null) {
    try {
      cost = o.cost ?? archCost(def);
    } catch {
      cost = undefined; // an arch that collapses the feature map still draws; the shape columns stay empty
    }
  }
  const maxC = Math.max(...blocks.map((b) => b.outChannels), 1);
  const boxH = (b: DiagramBlock) => (b.kind === 'skip' ? 8 : b.expansion !== undefined ? 10 + 3 * Math.min(b.expansion, 8) : 12);
  const boxW = (b: DiagramBlock) => Math.round(Math.max(8, Math.sqrt(b.outChannels / maxC) * LANE));
  const hasNotes = !!o.notes && Array.from(o.notes).some((n) => n);
  const costCells = (c?: { output: readonly number[]; flops: number; params: number }) =>
    cost ? `<td class="num">${c ? shapeText(c.output) : ''}</td><td class="num">${c ? siCount(c.flops) : ''}</td><td class="num">${c ? siCount(c.params) : ''}</td>` : '';
  const notesCell = (n?: string) => (hasNotes ? `<td class="note">${escapeXml(n ?? '')}</td>` : '');

  const kinds = [...new Set(blocks.map((b) => b.kind))];
  let html = '<div class="arch">';
  if (o.title) html += `<div class="arch-title">${escapeXml(o.title)}</div>`;
  html += `<ul class="arch-legend">${kinds.map((k) => `<li><span class="swatch" style="background:${OP_KIND_COLORS[k]}"></span>${escapeXml(KIND_NAMES[k])}</li>`).join('')}</ul>`;
  html += '<table class="arch-table"><thead><tr><th>stage</th><th>stride</th><th class="lane"></th><th>block</th>';
  if (cost) html += '<th class="num">output h×w×c</th><th class="num">FLOPs</th><th class="num">params</th>';
  if (hasNotes) html += `<th>${escapeXml(o.notesHeader ?? '')}</th>`;
  html += '</tr></thead><tbody>';
  const inShape = cost ? cost.input : [def.input_size, def.input_size, def.input_channels];
  html += `<tr class="arch-io"><td></td><td></td><td class="lane"></td><td>input</td>${cost ? `<td class="num">${shapeText(inShape)}</td><td></td><td></td>` : ''}${notesCell()}</tr>`;
  blocks.forEach((b, i) => {
    const c = cost?.blocks[b.index];
    const first = i === 0 || blocks[i - 1].stage !== b.stage;
    const rows = blocks.filter((x) => x.stage === b.stage).length;
    const tip = `block ${b.index} (stage ${b.stage}): ${b.op}, ${b.outChannels} channels, stride ${b.stride}${b.expansion !== undefined ? `, expansion ${b.expansion}` : ''}${b.residual ? ', residual' : ''}${c ? `; out ${shapeText(c.output)}, ${siCount(c.flops)} FLOPs, ${siCount(c.params)} params` : ''}`;
    const cls = ['block', first ? 'stage-start' : '', b.stride > 1 ? 'strided' : ''].filter(Boolean).join(' ');
    const box = ['box', b.kind === 'skip' ? 'skip' : '', b.grouped ? 'grouped' : '', b.se ? 'se' : '', b.residual ? 'residual' : ''].filter(Boolean).join(' ');
    const style = `width:${boxW(b)}px;height:${boxH(b)}px;${b.kind === 'skip' ? `border-color:${OP_KIND_COLORS.skip}` : `background:${OP_KIND_COLORS[b.kind]}`}`;
    html += `<tr class="${cls}" data-op="${escapeXml(b.op)}" data-kind="${b.kind}" title="${escapeXml(tip)}">`;
    if (first) html += `<td class="stage" rowspan="${rows}">S${b.stage}</td>`;
    html += `<td>${b.stride > 1 ? `<span class="stride">↓${b.stride}</span>` : ''}</td>`;
    html += `<td class="lane"><span class="${box}" style="${style}"></span></td>`;
    html += `<td class="label">${escapeXml(b.label)}</td>${costCells(c)}${notesCell(o.notes?.[b.index])}</tr>`;
  });
  html += `<tr class="arch-io head"><td></td><td></td><td class="lane"></td><td>head: pool + fc ${def.num_classes}</td>${cost ? costCells(cost.head) : ''}${notesCell()}</tr>`;
  if (cost) html += `<tr class="arch-total"><td></td><td></td><td class="lane"></td><td>total</td><td></td><td class="num">${siCount(cost.flops)}</td><td class="num">${siCount(cost.params)}</td>${notesCell()}</tr>`;
  html += `</tbody></table></div>`;
  return html;
}

/** The diagram's stylesheet (the page inlines it once). */
export const ARCH_CSS = `
.arch-title { font-weight: 600; font-size: 13px; margin: 2px 0 4px; }
.arch-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 0; margin: 0 0 6px; font-size: 12px; }
.arch-legend .swatch { display: inline-block; width: 12px; height: 10px; margin-right: 5px; vertical-align: -1px; }
table.arch-table { border-collapse: collapse; font-size: 12px; }
table.arch-table th { font-size: 11px; font-weight: 500; background: none; }
table.arch-table td { padding: 2px 10px; border-bottom: none; vertical-align: middle; height: 22px; }
table.arch-table tr.stage-start td, table.arch-table tr.head td { border-top: 1px solid #e6e6e6; }
table.arch-table tr.strided td { border-top: 1px dashed #d62728aa; }
table.arch-table td.stage { color: #555555; font-size: 11px; vertical-align: middle; }
table.arch-table td.lane { width: ${LANE + 24}px; text-align: center; padding: 3px 0; }
table.arch-table td.label, table.arch-total td { font-weight: 600; }
table.arch-table tr.arch-io td, table.arch-table td.num, table.arch-table td.note { color: #555555; }
.arch .stride { display: inline-block; background: #d62728; color: #fff; border-radius: 3px; font-size: 10px; font-weight: 700; padding: 1px 4px; }
.arch .box { display: inline-block; position: relative; vertical-align: middle; border-radius: 2.5px; border: 0.6px solid #333333; box-sizing: border-box; }
.arch .box.skip { background: #ffffff; border: 1.5px dashed; border-radius: 2px; }
.arch .box.grouped { background-image: linear-gradient(to right, transparent calc(50% - 0.75px), #ffffff calc(50% - 0.75px), #ffffff calc(50% + 0.75px), transparent calc(50% + 0.75px)); }
.arch .box.se::after { content: ''; position: absolute; right: -10px; top: calc(50% - 3px); width: 6px; height: 6px; border-radius: 50%; background: #7a5195; }
.arch .box.residual::before { content: ''; position: absolute; left: -8px; top: 0; bottom: 0; width: 6px; border: 1.2px solid #777777; border-right: none; border-radius: 6px 0 0 6px; }
`;

const KIND_NAMES: Record<OpKind, string> = {
  conv: 'conv',
  ir_k3: 'inverted residual k3',
  ir_k5: 'inverted residual k5',
  ir_pool: 'ir_pool',
  skip: 'skip',
};

function shapeText(s: readonly number[]): string {
  return `${s[0]}×${s[1]}×${s[2]}`;
}

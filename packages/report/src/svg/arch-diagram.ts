import { allOpNames, archBlocks, parseArchDef, resolveArch, type ArchDef, type ParsedOpName } from '@fbnet/core';
import { archCost, type ArchCost } from '@fbnet/shape-propagation';
import { AXIS_COLOR, GRID_COLOR, legend, svgOpen, text, textWidth, type LegendItem } from './frame.ts';
import { escapeXml, num, siCount } from './format.ts';

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
 * An arch def drawn top to bottom, one box per block instance (repeats expanded): box width ∝
 * √channels, box height ∝ expansion, colour by op kind and kernel, stride-2 blocks marked
 * "↓2" with a rule where the resolution halves. Columns: label, output shape, FLOPs, params.
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
  const boxW = (b: DiagramBlock) => Math.max(8, Math.sqrt(b.outChannels / maxC) * LANE);
  const rowH = (b: DiagramBlock) => Math.max(22, boxH(b) + 6);

  const hasNotes = !!o.notes && Array.from(o.notes).some((n) => n);
  const cols = {
    stage: 8,
    badge: 56,
    lane: 84,
    label: 84 + LANE + 14,
    shape: 84 + LANE + 14 + Math.max(110, textWidth(`head: pool + fc ${def.num_classes}`) + 12, ...blocks.map((b) => textWidth(b.label) + 16)),
  };
  const flopsX = cols.shape + 96;
  const paramsX = flopsX + 76;
  const notesX = paramsX + 70;
  const notesW = hasNotes ? Math.max(textWidth(o.notesHeader ?? ''), ...Array.from(o.notes!, (n) => textWidth(n ?? ''))) + 12 : 0;
  const width = Math.ceil(hasNotes ? notesX + notesW : notesX - 10);

  const kinds = [...new Set(blocks.map((b) => b.kind))];
  const items: LegendItem[] = kinds.map((k) => ({ name: KIND_NAMES[k], color: OP_KIND_COLORS[k], mark: 'box' }));
  const lg = legend(items, 8, o.title ? 26 : 6, width - 16);
  const headerY = (o.title ? 26 : 6) + lg.height + 24;
  let y = headerY + 8;

  let body = '';
  // Input row.
  const inShape = cost ? cost.input : [def.input_size, def.input_size, def.input_channels];
  body += text(cols.label, y + 14, 'input', { fill: AXIS_COLOR }) + text(cols.shape, y + 14, shapeText(inShape), { fill: AXIS_COLOR });
  y += 22;
  let prevStage = -1;
  const stageTops: { stage: number; y0: number; y1: number }[] = [];
  for (const b of blocks) {
    const h = rowH(b);
    if (b.stage !== prevStage) {
      stageTops.push({ stage: b.stage, y0: y, y1: y + h });
      body += `<line x1="${num(cols.stage)}" x2="${num(width - 4)}" y1="${num(y)}" y2="${num(y)}" stroke="${GRID_COLOR}"/>`;
      prevStage = b.stage;
    } else {
      stageTops[stageTops.length - 1].y1 = y + h;
    }
    const cy = y + h / 2;
    const bw = boxW(b);
    const bh = boxH(b);
    const bx = cols.lane + (LANE - bw) / 2;
    const color = OP_KIND_COLORS[b.kind];
    const c = cost?.blocks[b.index];
    const tip = `block ${b.index} (stage ${b.stage}): ${b.op}, ${b.outChannels} channels, stride ${b.stride}${b.expansion !== undefined ? `, expansion ${b.expansion}` : ''}${b.residual ? ', residual' : ''}${c ? `; out ${shapeText(c.output)}, ${siCount(c.flops)} FLOPs, ${siCount(c.params)} params` : ''}`;
    body += `<g class="block" data-op="${escapeXml(b.op)}"><title>${escapeXml(tip)}</title>`;
    if (b.stride > 1) {
      body += `<line x1="${num(cols.badge - 6)}" x2="${num(width - 4)}" y1="${num(y + 0.5)}" y2="${num(y + 0.5)}" stroke="#d62728" stroke-width="1" stroke-dasharray="3 3" opacity="0.55"/>`;
      body += `<rect x="${num(cols.badge)}" y="${num(cy - 8)}" width="22" height="16" rx="3" fill="#d62728"/>`;
      body += text(cols.badge + 11, cy + 4, `↓${b.stride}`, { 'text-anchor': 'middle', fill: '#ffffff', 'font-size': 10, 'font-weight': 700 });
    }
    if (b.kind === 'skip') {
      body += `<rect x="${num(bx)}" y="${num(cy - bh / 2)}" width="${num(bw)}" height="${num(bh)}" rx="2" fill="#ffffff" stroke="${color}" stroke-width="1.5" stroke-dasharray="3 2"/>`;
    } else {
      body += `<rect x="${num(bx)}" y="${num(cy - bh / 2)}" width="${num(bw)}" height="${num(bh)}" rx="2.5" fill="${color}" stroke="#333333" stroke-width="0.6"/>`;
      if (b.grouped) {
        // Grouped pointwise (_g2): split the box in two, as the channels are.
        body += `<line x1="${num(bx + bw / 2)}" x2="${num(bx + bw / 2)}" y1="${num(cy - bh / 2)}" y2="${num(cy + bh / 2)}" stroke="#ffffff" stroke-width="1.5"/>`;
      }
      if (b.se) body += `<circle cx="${num(bx + bw + 6)}" cy="${num(cy)}" r="3" fill="#7a5195"/>`;
    }
    if (b.residual) {
      // The shortcut: an arc around the box's left edge.
      body += `<path d="M${num(bx - 3)} ${num(cy - bh / 2)} q-9 ${num(bh / 2)} 0 ${num(bh)}" fill="none" stroke="#777777" stroke-width="1.2"/>`;
    }
    body += text(cols.label, cy + 4, b.label, { 'font-weight': 600 });
    if (c) {
      body += text(cols.shape, cy + 4, shapeText(c.output), { fill: AXIS_COLOR });
      body += text(flopsX + 60, cy + 4, siCount(c.flops), { 'text-anchor': 'end', fill: AXIS_COLOR });
      body += text(paramsX + 52, cy + 4, siCount(c.params), { 'text-anchor': 'end', fill: AXIS_COLOR });
    }
    const note = o.notes?.[b.index];
    if (note) body += text(notesX, cy + 4, note, { fill: AXIS_COLOR });
    body += '</g>';
    y += h;
  }
  // Head: the implicit classifier.
  body += `<line x1="${num(cols.stage)}" x2="${num(width - 4)}" y1="${num(y)}" y2="${num(y)}" stroke="${GRID_COLOR}"/>`;
  body += text(cols.label, y + 15, `head: pool + fc ${def.num_classes}`, { fill: AXIS_COLOR });
  if (cost) {
    body += text(cols.shape, y + 15, shapeText(cost.head.output), { fill: AXIS_COLOR });
    body += text(flopsX + 60, y + 15, siCount(cost.head.flops), { 'text-anchor': 'end', fill: AXIS_COLOR });
    body += text(paramsX + 52, y + 15, siCount(cost.head.params), { 'text-anchor': 'end', fill: AXIS_COLOR });
    y += 22;
    body += `<line x1="${num(cols.label)}" x2="${num(width - 4)}" y1="${num(y)}" y2="${num(y)}" stroke="${AXIS_COLOR}"/>`;
    body += text(cols.label, y + 15, 'total', { 'font-weight': 600 });
    body += text(flopsX + 60, y + 15, siCount(cost.flops), { 'text-anchor': 'end', 'font-weight': 600 });
    body += text(paramsX + 52, y + 15, siCount(cost.params), { 'text-anchor': 'end', 'font-weight': 600 });
  }
  y += 26;
  for (const st of stageTops) {
    body += text(cols.stage, (st.y0 + st.y1) / 2 + 4, `S${st.stage}`, { fill: AXIS_COLOR, 'font-size': 10 });
  }

  const height = Math.ceil(y + 4);
  let s = svgOpen(width, height, o.title ?? 'architecture', 'chart arch');
  if (o.title) s += text(8, 16, o.title, { 'font-size': 13, 'font-weight': 600 });
  s += lg.svg;
  const hy = headerY;
  s += text(cols.badge, hy, 'stride', { fill: AXIS_COLOR, 'font-size': 10 });
  s += text(cols.label, hy, 'block', { fill: AXIS_COLOR, 'font-size': 10 });
  if (cost) {
    s += text(cols.shape, hy, 'output h×w×c', { fill: AXIS_COLOR, 'font-size': 10 });
    s += text(flopsX + 60, hy, 'FLOPs', { 'text-anchor': 'end', fill: AXIS_COLOR, 'font-size': 10 });
    s += text(paramsX + 52, hy, 'params', { 'text-anchor': 'end', fill: AXIS_COLOR, 'font-size': 10 });
  }
  if (hasNotes) s += text(notesX, hy, o.notesHeader ?? '', { fill: AXIS_COLOR, 'font-size': 10 });
  return s + body + '</svg>';
}

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

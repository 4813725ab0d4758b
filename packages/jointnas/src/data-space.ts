import { FbnetError, type RangeSpec } from '@fbnet/core';
import { jointArch, jointDimensions, parseJointSpace, pointFromUnit, sobolPoints, type JointSpace } from '@fbnet/autotrain';
import type { Constraints } from '@fbnet/evolutionary-search';
import { archCost } from '@fbnet/shape-propagation';

/** The image side the joint-space presets are written for (28x28 Fashion-MNIST): their resolutions are relative to it. */
export const JOINT_SPACE_DATA_SIZE = 28;

/** What a joint space needs to know of a data set to be carried over to it. */
export interface DataShape {
  path: string;
  height: number;
  width: number;
  channels: number;
  classNames: readonly string[];
}

/**
 * A joint space carried over to a user's data, as `adaptSpaceToData` does for V1/V2 spaces: the
 * stem takes the data's channels, the classifier its class count, and the resolution choices
 * scale with the image size (round(r · H / 28), distinct, at most H: 20/24/28 at 28 px become
 * 9/10/12 at 12 px). The stages, widths and recipe ranges stay. The name records the change, so
 * candidates and predictors of the preset's own space are never mixed with these.
 */
export function adaptJointSpaceToData(space: JointSpace, data: DataShape, from = JOINT_SPACE_DATA_SIZE): JointSpace {
  if (data.height !== data.width) {
    throw new FbnetError('USAGE', `${data.path}: images are ${data.width}x${data.height}; the V3 joint spaces take square inputs (give a size to resize them to)`);
  }
  const k = data.classNames.length;
  const h = data.height;
  if (h === from && space.input_channels === data.channels && space.num_classes === k) return space;
  return parseJointSpace({
    ...space,
    name: `${space.name}@${h}x${h}x${data.channels}-k${k}`,
    description: `${space.name} carried over to ${h}x${h}x${data.channels} inputs and ${k} classes (${data.path})`,
    input_channels: data.channels,
    num_classes: k,
    arch: { ...space.arch, resolution: scaledResolution(space.arch.resolution, from, h, space.name) },
  });
}

/** A resolution range for `from`-pixel inputs, at `to` pixels. */
function scaledResolution(r: RangeSpec, from: number, to: number, name: string): RangeSpec {
  const scale = (v: number) => Math.min(to, Math.max(1, Math.round((v * to) / from)));
  if (r.kind === 'choice') {
    const values = [...new Set(r.values.map((v) => scale(Number(v))))].sort((a, b) => a - b);
    return { ...r, values };
  }
  if (r.kind === 'int') return { ...r, min: scale(r.min), max: scale(r.max) };
  throw new FbnetError('SEARCH_SPACE_INVALID', `${name}: arch.resolution must be a choice or an int range to scale with the data, got ${r.kind}`);
}

/**
 * A preset's FLOPs/params budgets, which are sized for its own space, carried over to `to` (the
 * space on the user's data): each scales by how much the same archs cost there — Σ cost over one
 * fixed QMC sample of points in `to` over Σ in `from` — so about the same share of the space fits.
 * (Unscaled, 1 MFLOPs admits ~40% of `fbnet-v3-fmnist` at 28x28x1 and none of it at 64x64x3.)
 * A latency budget is measured on the carried-over archs themselves and stays.
 */
export function scaleConstraintsToSpace(c: Constraints, from: JointSpace, to: JointSpace, samples = 256): Constraints {
  if (from === to || (c.maxFlops === undefined && c.maxParams === undefined)) return c;
  let f0 = 0, f1 = 0, p0 = 0, p1 = 0;
  for (const u of sobolPoints(samples, jointDimensions(from).length, { shiftSeed: 0 })) {
    const a = archCost(jointArch(from, pointFromUnit(from, u)));
    const b = archCost(jointArch(to, pointFromUnit(to, u)));
    f0 += a.flops;
    f1 += b.flops;
    p0 += a.params;
    p1 += b.params;
  }
  return {
    ...c,
    ...(c.maxFlops !== undefined ? { maxFlops: Math.round((c.maxFlops * f1) / f0) } : {}),
    ...(c.maxParams !== undefined ? { maxParams: Math.round((c.maxParams * p1) / p0) } : {}),
  };
}

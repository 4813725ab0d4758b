/**
 * Kernels `@fbnet/dmasking` adds to TF.js. They are host code over a supernet's plan, registered
 * by this package for the backends whose tensors live in host memory (cpu, wasm) and run on their
 * storage directly (JS arrays, views on the wasm heap) — not a backend contract, so core's
 * `FBNET_KERNELS` does not list them.
 */
export const DMASKING_KERNELS = {
  /**
   * A step's whole α plumbing (`foldStep`). inputs (an array): θ_0 … θ_{C−1} (mode 'gumbel'
   * only), then p_0 … p_{F−1}; attrs: the plan and the mode; outputs: g_0 … g_{C−1} (the weights
   * of every choice), the masks of `plan.outputs`, p'_0 … p'_{F−1}.
   */
  Fold: 'FbnetDMaskingFold',
  /** Backward of Fold. inputs: the dys of every output (what else it needs, Fold kept on the host in the attrs); outputs: dθ …, dp …. */
  FoldGrad: 'FbnetDMaskingFoldGrad',
  /**
   * A masked shortcut (`addMaskedShortcut`): inputs y [N,H,W,c], x [N,H,W,cx] (cx ≤ c), r [c];
   * output y + x̂ ∘ r, x̂ = x zero-padded to c channels, in one pass.
   */
  MaskedShortcut: 'FbnetDMaskingMaskedShortcut',
  /** Backward of MaskedShortcut. inputs: dy, x, r; outputs: dx = dy[…, :cx] ∘ r[:cx], dr = Σ_{N,H,W} dy ∘ x̂. */
  MaskedShortcutGrad: 'FbnetDMaskingMaskedShortcutGrad',
} as const;

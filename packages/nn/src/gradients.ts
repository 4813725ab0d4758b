// TF.js registers op gradients only as a side effect of importing them; without that nothing
// has a gradient. tfjs-layers registers all of them, through the same tfjs-core module
// instance as ours in both Node (CJS bundles) and bundlers (ESM) — a deep import of
// tfjs-core/dist/register_all_gradients would load a second tfjs-core copy under Node.
import '@tensorflow/tfjs-layers';

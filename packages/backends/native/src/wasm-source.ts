/** Locates and compiles the committed kernel binary (Node: file system; browser: fetch). */

/** Where the kernel binary comes from: bytes, a compiled module, or a URL to fetch/read. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string;

export const defaultWasmUrl = new URL('../wasm/fbnet-kernels.wasm', import.meta.url);

export async function compileKernelModule(source: WasmSource = defaultWasmUrl): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source !== 'string' && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = typeof source === 'string' ? new URL(source, defaultWasmUrl) : source;
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`native-kernels: cannot fetch ${url.href}: HTTP ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
}

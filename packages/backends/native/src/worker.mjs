// Pool worker: one more instance of the kernel module over the shared memory, parked inside
// fb_worker_loop (Atomics-style wait on the control block) until the pool shuts down.
// Plain ESM with no imports at top level, so it loads without a TS loader and in a browser
// module worker alike. Protocol: receive {module, memory, tid, stackTop}; reply {type:'ready'}
// once instantiated, {type:'exited'} after the loop returns, {type:'error', message} on failure.

function start(data, post) {
  try {
    const { module, memory, tid, stackTop } = data;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    // Each thread needs its own C stack; the module's default one belongs to the main thread.
    instance.exports.__stack_pointer.value = stackTop;
    post({ type: 'ready', tid });
    instance.exports.fb_worker_loop(tid);
    post({ type: 'exited', tid });
  } catch (err) {
    post({ type: 'error', message: String((err && err.stack) || err) });
  }
}

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

if (isNode) {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort && workerData) start(workerData, (m) => parentPort.postMessage(m));
} else {
  self.addEventListener('message', (ev) => start(ev.data, (m) => self.postMessage(m)), { once: true });
}

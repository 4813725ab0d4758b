/*
 * Persistent thread pool living entirely in shared linear memory.
 *
 * Workers are extra instances of this module (one per worker thread, same memory) that call
 * fb_worker_loop(tid) once and stay inside it; the main thread publishes jobs through the
 * control block below and takes part in them. No postMessage on the hot path: a job is
 * published with one atomic store and, only if some worker went to sleep, one notify.
 *
 * Protocol (all atomics are seq_cst):
 *   main:   write fn/ctx/ntasks, next=0, done=0; state = gen|OPEN; notify if sleepers;
 *           take tasks; spin until done == ntasks; state = gen (closed); spin until active == 0.
 *   worker: active++; s = state; if s is OPEN and s.gen is new: run tasks from `next`; active--.
 * A worker that increments `active` before main's final check is waited for, so job fields
 * never change under a reader; one that increments later finds the job closed. The main thread
 * spins rather than waits, so the same code runs on a browser main thread.
 */
#include "runtime.h"

#define MAX_THREADS 64
/* Tasks are grouped into fixed slots (contiguous task ranges) that threads claim dynamically.
 * A kernel's per-"tid" scratch and partial sums are per slot, and a slot always runs the same
 * tasks in the same order, so reductions (filter gradients, BN statistics, K-split GEMM) add up
 * in an order that does not depend on thread timing: same inputs, same thread count, same bits.
 * Several slots per thread keep the load balanced when a thread is descheduled. */
#define SLOTS_PER_THREAD 4
#define MAX_SLOTS (MAX_THREADS * SLOTS_PER_THREAD)
#define OPEN 1

static struct {
  volatile int state; /* (gen << 1) | OPEN */
  volatile int next;
  volatile int done;
  volatile int active;
  volatile int sleepers;
  volatile int shutdown;
  volatile int ready;
  volatile int main_waiting;
  int ntasks;
  int nslots; /* slots of the current job */
  task_fn fn;
  void *ctx;
} ctl;

static int nthreads = 1;
static int nslots = 1; /* distinct `tid` values tasks see: SLOTS_PER_THREAD per thread (1 single-threaded) */
void fb_scratch_release(void);
static int spin_iters = 30000;
static int main_can_wait = 0; /* Node's main thread may block; a browser's may not */
static float *scratch[MAX_SLOTS];
static size_t scratch_bytes;

INLINE int ld(volatile int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
INLINE void st(volatile int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
INLINE int add(volatile int *p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }

static void run_tasks(int tid) {
  task_fn fn = ctl.fn;
  void *ctx = ctl.ctx;
  int n = ctl.ntasks, S = ctl.nslots;
  for (;;) {
    int slot = add(&ctl.next, 1);
    if (slot >= S) break;
    int t0 = (int)((long long)slot * n / S), t1 = (int)((long long)(slot + 1) * n / S);
    for (int t = t0; t < t1; t++) fn(ctx, t, slot);
    add(&ctl.done, 1);
  }
  if (tid != 0 && ld(&ctl.main_waiting)) __builtin_wasm_memory_atomic_notify((int *)&ctl.done, 1);
}

void parallel_for(task_fn fn, void *ctx, int ntasks) {
  if (ntasks <= 0) return;
  if (nthreads <= 1 || ntasks == 1) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  ctl.fn = fn;
  ctl.ctx = ctx;
  ctl.ntasks = ntasks;
  ctl.nslots = MIN(nslots, ntasks);
  int nwork = ctl.nslots;
  st(&ctl.next, 0);
  st(&ctl.done, 0);
  int gen = (ld(&ctl.state) >> 1) + 1;
  st(&ctl.state, (gen << 1) | OPEN);
  if (ld(&ctl.sleepers) > 0) __builtin_wasm_memory_atomic_notify((int *)&ctl.state, (u32)-1);
  run_tasks(0);
  /* Spin for the stragglers; if a worker was descheduled (more threads than free cores),
   * block instead of burning the core it needs, where the host allows the main thread to. */
  int spins = 0, d;
  while ((d = ld(&ctl.done)) < nwork) {
    if (main_can_wait && ++spins > 20000) {
      st(&ctl.main_waiting, 1);
      if (ld(&ctl.done) == d) __builtin_wasm_memory_atomic_wait32((int *)&ctl.done, d, 1000000);
      st(&ctl.main_waiting, 0);
    }
  }
  st(&ctl.state, gen << 1);
  while (ld(&ctl.active) != 0) { }
}

typedef struct {
  task_fn fn;
  void *ctx;
  int n, grain;
} grain_job;

static void grain_task(void *p, int t, int tid) {
  grain_job *g = (grain_job *)p;
  int e = MIN(g->n, (t + 1) * g->grain);
  for (int i = t * g->grain; i < e; i++) g->fn(g->ctx, i, tid);
}

void parallel_for_grain(task_fn fn, void *ctx, int n, int grain) {
  if (grain <= 1) { parallel_for(fn, ctx, n); return; }
  grain_job g = {fn, ctx, n, grain};
  parallel_for(grain_task, &g, (n + grain - 1) / grain);
}

int grain_for(double work_per_item) {
  if (work_per_item >= MIN_TASK_WORK) return 1;
  return (int)(MIN_TASK_WORK / (work_per_item > 1 ? work_per_item : 1)) + 1;
}

EXPORT(fb_worker_loop) void fb_worker_loop(int tid) {
  int last_gen = ld(&ctl.state) >> 1;
  add(&ctl.ready, 1);
  for (;;) {
    int s = ld(&ctl.state);
    int spins = 0;
    while (!ld(&ctl.shutdown) && (!(s & OPEN) || (s >> 1) == last_gen)) {
      if (++spins < spin_iters) { s = ld(&ctl.state); continue; }
      add(&ctl.sleepers, 1);
      /* finite timeout: a host terminating this thread (process exit) regains control within
       * 50 ms even if nobody calls fb_pool_shutdown */
      __builtin_wasm_memory_atomic_wait32((int *)&ctl.state, s, 50000000LL);
      add(&ctl.sleepers, -1);
      spins = 0;
      s = ld(&ctl.state);
    }
    if (ld(&ctl.shutdown)) break;
    add(&ctl.active, 1);
    s = ld(&ctl.state);
    if ((s & OPEN) && (s >> 1) != last_gen) {
      run_tasks(tid);
      last_gen = s >> 1;
    }
    add(&ctl.active, -1);
  }
  add(&ctl.ready, -1);
}

/* Main thread: declare how many threads (1 + workers) will take part. Workers must already be
 * inside fb_worker_loop (see fb_pool_ready) before jobs are sent to them; work is still correct
 * if they are not, the main thread then simply does all tasks itself. */
EXPORT(fb_pool_set_threads) void fb_pool_set_threads(int n) {
  fb_scratch_release();
  nthreads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
  nslots = nthreads > 1 ? nthreads * SLOTS_PER_THREAD : 1;
}
EXPORT(fb_pool_set_main_can_wait) void fb_pool_set_main_can_wait(int v) { main_can_wait = v; }
EXPORT(fb_pool_ready) int fb_pool_ready(void) { return ld(&ctl.ready); }
EXPORT(fb_pool_set_spin) void fb_pool_set_spin(int iters) { spin_iters = iters < 1 ? 1 : iters; }
EXPORT(fb_pool_shutdown) void fb_pool_shutdown(void) {
  st(&ctl.shutdown, 1);
  add(&ctl.state, 2); /* change the waited-on word so no worker can miss the wake-up */
  __builtin_wasm_memory_atomic_notify((int *)&ctl.state, (u32)-1);
}
/* Number of distinct `tid` values a task can receive (= per-tid scratch buffers to combine). */
int pool_threads(void) { return nslots; }

void scratch_reserve(size_t bytes) {
  bytes = (bytes + 63) & ~(size_t)63;
  if (bytes <= scratch_bytes) return;
  for (int t = 0; t < nslots; t++) {
    fb_free(scratch[t]);
    scratch[t] = (float *)fb_malloc(bytes);
    if (!scratch[t]) __builtin_trap();
  }
  for (int t = nslots; t < MAX_SLOTS; t++) { fb_free(scratch[t]); scratch[t] = NULL; }
  scratch_bytes = bytes;
}
float *scratch_for(int tid) { return scratch[tid]; }

/* Release per-thread scratch (JS calls this from dispose / trimming). */
EXPORT(fb_scratch_release) void fb_scratch_release(void) {
  for (int t = 0; t < MAX_SLOTS; t++) { fb_free(scratch[t]); scratch[t] = NULL; }
  scratch_bytes = 0;
}

/*
 * Shared definitions for the fbnet native kernels (wasm32 + SIMD128 + threads, no libc).
 *
 * Every translation unit is compiled with -fvisibility=hidden; only functions marked
 * EXPORT(name) appear in the module's export section, so the JS side sees a small, stable ABI.
 * Pointers crossing the boundary are byte offsets into the one shared WebAssembly.Memory.
 */
#ifndef FBNET_RUNTIME_H
#define FBNET_RUNTIME_H

#include <wasm_simd128.h>

typedef unsigned int u32;
typedef unsigned long size_t;
typedef int i32;

#define EXPORT(name) __attribute__((visibility("default"), export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define NULL ((void *)0)

/* ---- libc-free helpers (memory.copy / memory.fill via bulk-memory) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);

INLINE void zero_f32(float *p, int n) { __builtin_memset(p, 0, (size_t)n * 4); }
INLINE void copy_f32(float *dst, const float *src, int n) { __builtin_memcpy(dst, src, (size_t)n * 4); }

/* ---- allocator (alloc.c); main thread only ---- */
void *fb_malloc(size_t bytes);
void fb_free(void *p);

/* ---- thread pool (pool.c) ----
 * parallel_for runs fn(ctx, task, tid) for task in [0, ntasks) on the pool; the caller (main
 * thread, tid 0) takes part. Tasks must write disjoint memory or per-thread scratch (tid). */
typedef void (*task_fn)(void *ctx, int task, int tid);
void parallel_for(task_fn fn, void *ctx, int ntasks);
/* parallel_for over n items, `grain` consecutive items per task (fn still sees item indices). */
void parallel_for_grain(task_fn fn, void *ctx, int n, int grain);
/* Items per task so each task has at least MIN_TASK_WORK units (~multiply-adds): below a few
 * microseconds of work per task, publishing and joining costs more than it saves, and on a
 * busy machine every extra task is another chance to wait for a descheduled worker. */
#define MIN_TASK_WORK 200000.0
int grain_for(double work_per_item);
int pool_threads(void);
/* Per-thread scratch of at least `bytes` (16-byte aligned), valid until the next call from the
 * main thread; call before parallel_for, then index with tid inside tasks. */
float *scratch_for(int tid);
void scratch_reserve(size_t bytes_per_thread);

/* ---- math (mathlib.c) ---- */
float fb_expf(float x);
float fb_logf(float x);

/* ---- activations shared by batch-norm and elementwise kernels ---- */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_HSWISH = 3 };

#endif

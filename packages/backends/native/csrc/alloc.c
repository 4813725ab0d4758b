/*
 * Boundary-tag first-fit allocator over the shared linear memory, growing it on demand.
 *
 * Called from the main thread only (JS API and kernel set-up before parallel_for); workers
 * never allocate, so no lock is needed. Kernel calls make a handful of large allocations, so a
 * simple doubly linked free list with immediate coalescing keeps the heap flat across a long
 * loop of alloc/free (tested from JS).
 *
 * Block: [hdr 16 B][payload, 16-aligned][ftr 16 B]; hdr.size counts the whole block.
 */
#include "runtime.h"

extern unsigned char __heap_base;

typedef struct hdr {
  u32 size; /* whole block, multiple of 16 */
  u32 used;
  u32 prev; /* free-list links (addresses), valid while free */
  u32 next;
} hdr;

#define HDR 16u
#define FTR 16u
#define OVERHEAD (HDR + FTR)
#define PAGE 65536u

static u32 heap_start, heap_end; /* [start, end): prologue .. epilogue header inclusive */
static u32 free_head;
static u32 bytes_used, blocks_used;

INLINE hdr *H(u32 a) { return (hdr *)a; }

static void set_block(u32 a, u32 size, u32 used) {
  H(a)->size = size;
  H(a)->used = used;
  *(u32 *)(a + size - FTR) = size;
}

static void list_remove(u32 a) {
  hdr *h = H(a);
  if (h->prev) H(h->prev)->next = h->next; else free_head = h->next;
  if (h->next) H(h->next)->prev = h->prev;
}

static void list_push(u32 a) {
  H(a)->prev = 0;
  H(a)->next = free_head;
  if (free_head) H(free_head)->prev = a;
  free_head = a;
}

static void heap_init(void) {
  u32 base = ((u32)&__heap_base + 15u) & ~15u;
  u32 limit = (u32)__builtin_wasm_memory_size(0) * PAGE;
  if (limit < base + 2 * OVERHEAD + HDR) {
    u32 need = base + 2 * OVERHEAD + HDR - limit;
    __builtin_wasm_memory_grow(0, (need + PAGE - 1) / PAGE);
    limit = (u32)__builtin_wasm_memory_size(0) * PAGE;
  }
  heap_start = base;
  set_block(base, OVERHEAD, 1); /* prologue: never coalesced across */
  u32 first = base + OVERHEAD;
  u32 epi = (limit - HDR) & ~15u;
  u32 fsize = epi - first;
  free_head = 0;
  if (fsize >= OVERHEAD + 16) {
    set_block(first, fsize, 0);
    list_push(first);
  } else {
    epi = first;
  }
  H(epi)->size = 0;
  H(epi)->used = 1;
  heap_end = epi;
}

static u32 coalesce(u32 a) {
  u32 size = H(a)->size;
  u32 nxt = a + size;
  if (!H(nxt)->used) {
    list_remove(nxt);
    size += H(nxt)->size;
  }
  u32 psize = *(u32 *)(a - FTR);
  u32 prv = a - psize;
  if (!H(prv)->used) {
    list_remove(prv);
    size += psize;
    a = prv;
  }
  set_block(a, size, 0);
  return a;
}

static int grow(u32 min_block) {
  u32 pages = (min_block + OVERHEAD + PAGE - 1) / PAGE;
  u32 cur = (u32)__builtin_wasm_memory_size(0);
  /* grow geometrically (at least 1/8 of the heap) to keep the number of grows small */
  u32 eighth = cur / 8;
  if (pages < eighth) pages = eighth;
  if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) {
    if (__builtin_wasm_memory_grow(0, (min_block + OVERHEAD + PAGE - 1) / PAGE) == (size_t)-1) return 0;
  }
  u32 limit = (u32)__builtin_wasm_memory_size(0) * PAGE;
  u32 a = heap_end; /* old epilogue becomes a free block */
  u32 epi = (limit - HDR) & ~15u;
  set_block(a, epi - a, 0);
  H(epi)->size = 0;
  H(epi)->used = 1;
  heap_end = epi;
  a = coalesce(a);
  list_push(a);
  return 1;
}

void *fb_malloc(size_t bytes) {
  if (!heap_start) heap_init();
  if (bytes == 0) bytes = 16;
  if (bytes > 0x7fff0000u) return NULL;
  u32 need = (((u32)bytes + 15u) & ~15u) + OVERHEAD;
  for (int attempt = 0; attempt < 2; attempt++) {
    for (u32 a = free_head; a; a = H(a)->next) {
      u32 size = H(a)->size;
      if (size < need) continue;
      list_remove(a);
      if (size - need >= OVERHEAD + 64) {
        set_block(a, need, 1);
        u32 rest = a + need;
        set_block(rest, size - need, 0);
        list_push(rest);
      } else {
        set_block(a, size, 1);
      }
      bytes_used += H(a)->size;
      blocks_used++;
      return (void *)(a + HDR);
    }
    if (!grow(need)) return NULL;
  }
  return NULL;
}

void fb_free(void *p) {
  if (!p) return;
  u32 a = (u32)p - HDR;
  if (!H(a)->used || a < heap_start || a >= heap_end) __builtin_trap(); /* double free / bad ptr */
  bytes_used -= H(a)->size;
  blocks_used--;
  H(a)->used = 0;
  a = coalesce(a);
  list_push(a);
}

EXPORT(fb_alloc) u32 fb_alloc_export(u32 bytes) { return (u32)fb_malloc(bytes); }
EXPORT(fb_release) void fb_release_export(u32 p) { fb_free((void *)p); }
/* stat: 0 bytes in use (incl. overhead), 1 live blocks, 2 heap size (start..end), 3 largest free */
EXPORT(fb_heap_stat) u32 fb_heap_stat(int which) {
  if (!heap_start) heap_init();
  if (which == 0) return bytes_used;
  if (which == 1) return blocks_used;
  if (which == 2) return heap_end - heap_start;
  u32 best = 0;
  for (u32 a = free_head; a; a = H(a)->next) best = MAX(best, H(a)->size);
  return best;
}

/* libc symbols the compiler may reference; bulk-memory turns these into memory.copy/fill */
void *memcpy(void *dst, const void *src, size_t n) { __builtin_memcpy(dst, src, n); return dst; }
void *memmove(void *dst, const void *src, size_t n) { __builtin_memmove(dst, src, n); return dst; }
void *memset(void *dst, int c, size_t n) { __builtin_memset(dst, c, n); return dst; }

/* Fields: device-local chunks of equally sized slots (fields created one after another are
 * neighbours, so a batch of them is one batched VkFFT launch), and the conversions to and from
 * the canonical host layouts of backend.h through a host-visible staging buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"

VkDeviceSize vk_field_bytes(const vk_ctx *c, dashi_field_kind kind) {
  return kind == DASHI_FIELD_REAL ? c->real_bytes : c->spec_bytes;
}

static int new_chunk(vk_ctx *c, dashi_field_kind kind, vk_chunk **out) {
  VkDeviceSize slot = (vk_field_bytes(c, kind) + 255) & ~(VkDeviceSize)255;
  VkDeviceSize fit = c->max_range / slot;
  if (fit < 1)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s': one %s field of N=%d (%.1f MiB) exceeds the largest "
                     "buffer the device allows (%.1f MiB); use more ranks or -precision single",
                     c->device_index, c->device_name,
                     kind == DASHI_FIELD_REAL ? "real" : "spectral", c->g->N, slot / 1048576.0,
                     c->max_range / 1048576.0);
  if (c->nchunks >= (int)(sizeof c->chunks / sizeof c->chunks[0]))
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan backend: too many field chunks");
  vk_chunk *k = calloc(1, sizeof *k);
  k->kind = kind;
  k->slot_bytes = slot;
  k->nslots = fit < VK_CHUNK_SLOTS ? (int)fit : VK_CHUNK_SLOTS;
  k->id = c->nchunks;
  int rc = vk_buffer_create(c, slot * (VkDeviceSize)k->nslots, false, &k->b,
                            kind == DASHI_FIELD_REAL ? "real field chunk" : "spectral field chunk");
  if (rc) {
    free(k);
    return rc;
  }
  c->chunks[c->nchunks++] = k;
  *out = k;
  return 0;
}

int vk_field_create(dashi_backend *b, dashi_field_kind kind, dashi_field **out) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  vk_chunk *k = NULL;
  int slot = -1;
  for (int i = 0; i < c->nchunks && slot < 0; i++) {
    if (c->chunks[i]->kind != kind) continue;
    for (int s = 0; s < c->chunks[i]->nslots && slot < 0; s++)
      if (!c->chunks[i]->used[s]) k = c->chunks[i], slot = s;
  }
  if (slot < 0) {
    b->out_of_memory = false; /* vk_out_of_memory sets it */
    DASHI_CALL(new_chunk(c, kind, &k));
    slot = 0;
  }
  dashi_field *f = calloc(1, sizeof *f);
  vk_field *v = calloc(1, sizeof *v);
  k->used[slot] = true;
  v->chunk = k;
  v->slot = slot;
  v->offset = k->slot_bytes * (VkDeviceSize)slot;
  v->addr = k->b.addr + v->offset;
  f->kind = kind;
  f->data = v;
  *out = f;
  /* a new field is zero, as on the CPU backend */
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, true);
  vkCmdFillBuffer(cmd, k->b.buf, v->offset, k->slot_bytes, 0);
  return vk_count(c, PROF_FILL);
}

void vk_field_destroy(dashi_backend *b, dashi_field *f) {
  if (!f) return;
  vk_field *v = VKF(f);
  v->chunk->used[v->slot] = false;
  free(v);
  free(f);
}

void vk_chunks_destroy(vk_ctx *c) {
  for (int i = 0; i < c->nchunks; i++) {
    vk_buffer_destroy(c, &c->chunks[i]->b);
    free(c->chunks[i]);
  }
  c->nchunks = 0;
}

int vk_copy(vk_ctx *c, VkBuffer src, VkDeviceSize so, VkBuffer dst, VkDeviceSize d0,
            VkDeviceSize n) {
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, true);
  VkBufferCopy r = {.srcOffset = so, .dstOffset = d0, .size = n};
  vkCmdCopyBuffer(cmd, src, dst, 1, &r);
  return vk_count(c, PROF_COPY);
}

int vk_copy_words(vk_ctx *c, const vk_buffer *src, VkDeviceSize so, const vk_buffer *dst,
                  VkDeviceSize d0, VkDeviceSize bytes) {
  if (c->copy_transfer) return vk_copy(c, src->buf, so, dst->buf, d0, bytes);
  /* the shader's 32-bit word index times 16 bytes must stay below 4 GiB */
  if (bytes % 16 || (src->addr + so) % 16 || (dst->addr + d0) % 16 || bytes > UINT32_MAX)
    return dashi_err(DASHI_ERR_DEVICE, "vk_copy_words: %llu bytes at offsets %llu, %llu",
                     (unsigned long long)bytes, (unsigned long long)so, (unsigned long long)d0);
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, src->addr + so);
  pc_addr(&p, dst->addr + d0);
  pc_u32(&p, (uint32_t)(bytes / 16));
  return vk_dispatch(c, PIPE_COPY, &p, bytes / 16);
}

/* A transfer between the device bytes [off, off + bytes) of buf and the host, one staging chunk
 * at a time: fn gets the chunk holding the bytes [at, at + n) - read from the device (down), or
 * to fill before it goes up. Conversions work on the chunk itself instead of a host copy of the
 * whole field: no allocation and no second pass over its bytes (a checkpoint's spec_get at
 * N = 8192 in single took 679 ms on an H200 host with a copy and an element-wise transpose,
 * session 14). */
typedef void (*chunk_fn)(const vk_ctx *c, void *ctx, void *chunk, size_t at, size_t n);

static int transfer(vk_ctx *c, VkBuffer buf, VkDeviceSize off, VkDeviceSize bytes, bool down,
                    chunk_fn fn, void *ctx) {
  for (VkDeviceSize at = 0; at < bytes; at += c->staging.size) {
    VkDeviceSize n = bytes - at < c->staging.size ? bytes - at : c->staging.size;
    if (down) {
      DASHI_CALL(vk_copy(c, buf, off + at, c->staging.buf, 0, n));
      DASHI_CALL(vk_sync(c));
      fn(c, ctx, c->staging.map, (size_t)at, (size_t)n);
    } else {
      DASHI_CALL(vk_sync(c)); /* the staging buffer is free again */
      fn(c, ctx, c->staging.map, (size_t)at, (size_t)n);
      DASHI_CALL(vk_copy(c, c->staging.buf, 0, buf, off + at, n));
    }
  }
  return down ? 0 : vk_sync(c);
}

static int field_transfer(vk_ctx *c, const dashi_field *f, VkDeviceSize bytes, bool down,
                          chunk_fn fn, void *ctx) {
  DASHI_CALL(vk_flush_pending(c));
  const vk_field *v = VKF(f);
  return transfer(c, v->chunk->b.buf, v->offset, bytes, down, fn, ctx);
}

static void bytes_out(const vk_ctx *c, void *host, void *chunk, size_t at, size_t n) {
  (void)c;
  memcpy((char *)host + at, chunk, n);
}
static void bytes_in(const vk_ctx *c, void *host, void *chunk, size_t at, size_t n) {
  (void)c;
  memcpy(chunk, (const char *)host + at, n);
}

int vk_upload(vk_ctx *c, VkBuffer dst, VkDeviceSize offset, VkDeviceSize bytes, const void *host) {
  return transfer(c, dst, offset, bytes, false, bytes_in, (void *)host);
}

int vk_download(vk_ctx *c, VkBuffer src, VkDeviceSize offset, VkDeviceSize bytes, void *host) {
  return transfer(c, src, offset, bytes, true, bytes_out, host);
}

/* real values of the device's precision in a chunk <-> doubles */
static void real_out(const vk_ctx *c, void *slab, void *chunk, size_t at, size_t n) {
  double *out = (double *)slab + at / c->rsize;
  if (c->f64)
    memcpy(out, chunk, n);
  else
    for (size_t i = 0; i < n / 4; i++) out[i] = ((const float *)chunk)[i];
}
static void real_in(const vk_ctx *c, void *slab, void *chunk, size_t at, size_t n) {
  const double *in = (const double *)slab + at / c->rsize;
  if (c->f64)
    memcpy(chunk, in, n);
  else
    for (size_t i = 0; i < n / 4; i++) ((float *)chunk)[i] = (float)in[i];
}

/* Spectral chunks <-> the canonical layout [nky][N] of complex doubles. The device holds rows r
 * of nb complex values q: (a, b) = (r, q) in [nky][N] without kyfast, (q, r) in [N][nrows] with
 * it (one rank, VkFFT's 2D layout), a transpose. The rows ky >= nky and the column kx = N/2 go up
 * as zeros. spec_rows moves the elements q in [q0, q1) of the rows [r0, r1) of a chunk that starts
 * at element m0: j indexes the chunk's values, k the canonical ones, one loop nest per direction
 * and precision (the layout only sets strides). */
#define SPEC_EACH(body)                                                                            \
  for (size_t q = q0; q < q1; q++)                                                                 \
    for (size_t r = r0; r < r1; r++) {                                                             \
      size_t j = 2 * (r * nb + q - m0), k = 2 * (q * sq + r * sr);                                 \
      body;                                                                                        \
    }

static void spec_rows(const vk_ctx *c, double *canon, void *chunk, size_t m0, size_t r0, size_t r1,
                      size_t q0, size_t q1, bool out) {
  const vk_layout *l = &c->lay;
  bool ky = l->kyfast;
  size_t N = l->N, nb = ky ? l->nrows : N, sq = ky ? N : 1, sr = ky ? 1 : N;
  size_t qa = ky ? l->nky : nb, bq = !ky, br = ky; /* q < qa: canonical; kx = q bq + r br */
  double *d = chunk;
  float *f = chunk;
  if (out && q1 > qa) q1 = qa;
  if (out && c->f64)
    SPEC_EACH(canon[k] = d[j]; canon[k + 1] = d[j + 1])
  else if (out)
    SPEC_EACH(canon[k] = f[j]; canon[k + 1] = f[j + 1])
  else if (c->f64)
    SPEC_EACH(bool z = q >= qa || q * bq + r * br == N / 2; d[j] = z ? 0.0 : canon[k];
              d[j + 1] = z ? 0.0 : canon[k + 1])
  else
    SPEC_EACH(bool z = q >= qa || q * bq + r * br == N / 2; f[j] = z ? 0.0f : (float)canon[k];
              f[j + 1] = z ? 0.0f : (float)canon[k + 1])
}
#undef SPEC_EACH

/* the chunk's bytes [at, at + n): the partial rows at its ends one by one, the whole rows in
 * blocks of 16 with kyfast (16 device rows read in step, 256-byte runs of canonical rows
 * written; on this 2-core VM at N = 4096 in single ~25 ms against 39 for an element-wise
 * transpose of a host copy) */
static void spec_chunk(const vk_ctx *c, double *canon, void *chunk, size_t at, size_t n, bool out) {
  size_t cs = 2 * c->rsize, m0 = at / cs, m1 = (at + n) / cs;
  size_t nb = c->lay.kyfast ? c->lay.nrows : c->lay.N, blk = c->lay.kyfast ? 16 : 1;
  size_t rf0 = (m0 + nb - 1) / nb, rf1 = m1 / nb; /* whole rows [rf0, rf1) */
  if (rf0 > rf1) {                                /* inside one row */
    spec_rows(c, canon, chunk, m0, rf1, rf1 + 1, m0 - rf1 * nb, m1 - rf1 * nb, out);
    return;
  }
  if (m0 < rf0 * nb) spec_rows(c, canon, chunk, m0, rf0 - 1, rf0, m0 - (rf0 - 1) * nb, nb, out);
  for (size_t r0 = rf0; r0 < rf1; r0 += blk)
    spec_rows(c, canon, chunk, m0, r0, r0 + blk < rf1 ? r0 + blk : rf1, 0, nb, out);
  if (m1 > rf1 * nb) spec_rows(c, canon, chunk, m0, rf1, rf1 + 1, 0, m1 - rf1 * nb, out);
}

static void spec_out(const vk_ctx *c, void *canon, void *chunk, size_t at, size_t n) {
  spec_chunk(c, canon, chunk, at, n, true);
}
static void spec_in(const vk_ctx *c, void *canon, void *chunk, size_t at, size_t n) {
  spec_chunk(c, canon, chunk, at, n, false);
}

int vk_spec_get(dashi_backend *b, const dashi_field *f, double *canon) {
  return field_transfer(VKX(b), f, VKX(b)->spec_bytes, true, spec_out, canon);
}

int vk_spec_put(dashi_backend *b, dashi_field *f, const double *canon) {
  return field_transfer(VKX(b), f, VKX(b)->spec_bytes, false, spec_in, (void *)canon);
}

int vk_real_get(dashi_backend *b, const dashi_field *f, double *slab) {
  return field_transfer(VKX(b), f, VKX(b)->real_bytes, true, real_out, slab);
}

/* the device's real layout is [nx][N] in its precision: straight into the caller's buffer */
int vk_real_get_native(dashi_backend *b, const dashi_field *f, void *slab) {
  return field_transfer(VKX(b), f, VKX(b)->real_bytes, true, bytes_out, slab);
}

int vk_real_put(dashi_backend *b, dashi_field *f, const double *slab) {
  return field_transfer(VKX(b), f, VKX(b)->real_bytes, false, real_in, (void *)slab);
}

int vk_zero_nyquist(vk_ctx *c, VkDeviceAddress first, int n, VkDeviceSize stride_bytes) {
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, first);
  pc_u32(&p, (uint32_t)n);
  pc_u32(&p, (uint32_t)(stride_bytes / (2 * c->rsize)));
  uint64_t per = c->lay.nrows + (c->lay.kyfast ? c->lay.N : 0);
  return vk_dispatch(c, PIPE_ZERO_NYQ, &p, per * (uint64_t)n);
}

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

/* device field -> host bytes, through the staging buffer */
static int download(vk_ctx *c, const vk_field *v, VkDeviceSize bytes, void *host) {
  for (VkDeviceSize at = 0; at < bytes; at += c->staging.size) {
    VkDeviceSize n = bytes - at < c->staging.size ? bytes - at : c->staging.size;
    DASHI_CALL(vk_copy(c, v->chunk->b.buf, v->offset + at, c->staging.buf, 0, n));
    DASHI_CALL(vk_sync(c));
    memcpy((char *)host + at, c->staging.map, n);
  }
  return 0;
}

int vk_upload(vk_ctx *c, VkBuffer dst, VkDeviceSize offset, VkDeviceSize bytes, const void *host) {
  for (VkDeviceSize at = 0; at < bytes; at += c->staging.size) {
    VkDeviceSize n = bytes - at < c->staging.size ? bytes - at : c->staging.size;
    DASHI_CALL(vk_sync(c)); /* the staging buffer is free again */
    memcpy(c->staging.map, (const char *)host + at, n);
    DASHI_CALL(vk_copy(c, c->staging.buf, 0, dst, offset + at, n));
  }
  return vk_sync(c);
}

static int upload(vk_ctx *c, vk_field *v, VkDeviceSize bytes, const void *host) {
  return vk_upload(c, v->chunk->b.buf, v->offset, bytes, host);
}

static double get_r(const vk_ctx *c, const void *p, size_t i) {
  return c->f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}
static void put_r(const vk_ctx *c, void *p, size_t i, double x) {
  if (c->f64)
    ((double *)p)[i] = x;
  else
    ((float *)p)[i] = (float)x;
}

/* canonical element (a, b) of the spectral layout [nky][N] -> device complex index */
static size_t dev_index(const vk_layout *l, size_t a, size_t b) {
  return l->kyfast ? b * l->nrows + a : a * l->N + b;
}

int vk_spec_get(dashi_backend *b, const dashi_field *f, double *canon) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  const vk_layout *l = &c->lay;
  void *tmp = malloc(c->spec_bytes);
  if (!tmp) return dashi_err(DASHI_ERR_GENERIC, "out of memory reading a spectral field");
  int rc = download(c, VKF(f), c->spec_bytes, tmp);
  for (size_t a = 0; !rc && a < l->nky; a++)
    for (size_t bb = 0; bb < l->N; bb++) {
      size_t m = dev_index(l, a, bb), k = a * l->N + bb;
      canon[2 * k] = get_r(c, tmp, 2 * m);
      canon[2 * k + 1] = get_r(c, tmp, 2 * m + 1);
    }
  free(tmp);
  return rc;
}

int vk_spec_put(dashi_backend *b, dashi_field *f, const double *canon) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  const vk_layout *l = &c->lay;
  void *tmp = calloc(1, c->spec_bytes); /* the native ky = N/2 row stays zero */
  if (!tmp) return dashi_err(DASHI_ERR_GENERIC, "out of memory writing a spectral field");
  for (size_t a = 0; a < l->nky; a++)
    for (size_t bb = 0; bb < l->N; bb++) {
      size_t m = dev_index(l, a, bb), k = a * l->N + bb;
      bool nyq = bb == l->N / 2; /* the kx = N/2 column is kept at zero */
      put_r(c, tmp, 2 * m, nyq ? 0.0 : canon[2 * k]);
      put_r(c, tmp, 2 * m + 1, nyq ? 0.0 : canon[2 * k + 1]);
    }
  int rc = upload(c, VKF(f), c->spec_bytes, tmp);
  free(tmp);
  return rc;
}

int vk_real_get(dashi_backend *b, const dashi_field *f, double *slab) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  size_t n = (size_t)c->g->nx * c->g->N;
  void *tmp = malloc(c->real_bytes);
  if (!tmp) return dashi_err(DASHI_ERR_GENERIC, "out of memory reading a real field");
  int rc = download(c, VKF(f), c->real_bytes, tmp);
  for (size_t i = 0; !rc && i < n; i++) slab[i] = get_r(c, tmp, i);
  free(tmp);
  return rc;
}

/* the device's real layout is [nx][N] in its precision: straight into the caller's buffer */
int vk_real_get_native(dashi_backend *b, const dashi_field *f, void *slab) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  return download(c, VKF(f), c->real_bytes, slab);
}

int vk_real_put(dashi_backend *b, dashi_field *f, const double *slab) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  size_t n = (size_t)c->g->nx * c->g->N;
  void *tmp = malloc(c->real_bytes);
  if (!tmp) return dashi_err(DASHI_ERR_GENERIC, "out of memory writing a real field");
  for (size_t i = 0; i < n; i++) put_r(c, tmp, i, slab[i]);
  int rc = upload(c, VKF(f), c->real_bytes, tmp);
  free(tmp);
  return rc;
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

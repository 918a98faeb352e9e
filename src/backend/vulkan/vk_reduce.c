/* Reductions: one pass writes a partial per workgroup (at most 65535 of them), a final pass in
 * one workgroup folds ANY number of partials in a fixed order into a host-visible result, then
 * one submit + wait, then MPI_Allreduce over the ranks. Sums accumulate in double where the
 * device has shaderFloat64. Normalization as in the CPU backend: full-plane sums / N^4.
 * Between reductions_defer BEGIN and END (a diagnostics record) each final pass writes its own
 * slot and the host takes them all after one wait at the closing call: one submit per record
 * instead of six or seven. */
#include <math.h>
#include <stdlib.h>

#include "dashi/error.h"
#include "vk_internal.h"

static double result(const vk_ctx *c, int i) {
  return c->acc64 ? ((const double *)c->results.map)[i]
                  : (double)((const float *)c->results.map)[i];
}

static int full_plane(const vk_ctx *c, int n, double *loc, double *out) {
  DASHI_MPI(MPI_Allreduce(loc, out, n, MPI_DOUBLE, MPI_SUM, c->g->comm));
  double n4 = (double)c->g->N * c->g->N * (double)c->g->N * c->g->N;
  for (int i = 0; i < n; i++) out[i] /= n4;
  return 0;
}

/* the host's share of a reduction (kind VK_RED_*) from this rank's values r (collective) */
static int red_post(const vk_ctx *c, int kind, uint32_t ncomp, double *r, double *out) {
  double g[3];
  switch (kind) {
  case VK_RED_PLANE:
    return full_plane(c, (int)ncomp, r, out);
  case VK_RED_MOMENTS:
    DASHI_CALL(full_plane(c, 3, r, out));
    for (int i = 0; i < 3; i++) out[i] *= 0.5;
    return 0;
  case VK_RED_MAXABS:
    DASHI_MPI(MPI_Allreduce(r, g, 2, MPI_DOUBLE, MPI_MAX, c->g->comm));
    *out = g[1] > 0 ? NAN : g[0]; /* reported, never hidden */
    return 0;
  default:
    DASHI_MPI(MPI_Allreduce(r, g, 1, MPI_DOUBLE, MPI_SUM, c->g->comm));
    *out = g[0] / ((double)c->g->N * c->g->N);
    return 0;
  }
}

/* deferred results start past the spectrum's N/2+1 values, each at a multiple of 4 values (the
 * 16-byte alignment of buffer references); `results` holds N/2 + 64 */
static uint32_t defer_base(const vk_ctx *c) {
  return ((uint32_t)c->g->N / 2 + 1 + 3) / 4 * 4;
}

int vk_reduce(vk_ctx *c, uint32_t nparts, uint32_t ncomp, uint32_t op, int kind, double *out) {
  return vk_reduce_at(c, c->partials.addr, nparts, ncomp, op, kind, out);
}

int vk_reduce_at(vk_ctx *c, VkDeviceAddress part, uint32_t nparts, uint32_t ncomp, uint32_t op,
                 int kind, double *out) {
  uint32_t slot = 0;
  if (c->red_defer) {
    slot = defer_base(c) + c->red_slots;
    if (c->red_n == VK_RED_DEFER_MAX || slot + ncomp > (uint32_t)c->g->N / 2 + 64)
      return dashi_err(DASHI_ERR_DEVICE,
                       "Vulkan backend: more than %d deferred reductions "
                       "(internal: close them with reductions_defer)",
                       c->red_n);
  }
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, part);
  pc_addr(&p, c->results.addr + (VkDeviceAddress)slot * (c->acc64 ? 8 : 4));
  pc_u32(&p, ncomp);
  pc_u32(&p, nparts);
  pc_u32(&p, op);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_FINAL, &p, 1));
  if (c->red_defer) {
    c->red[c->red_n].slot = slot, c->red[c->red_n].ncomp = ncomp;
    c->red[c->red_n].kind = kind, c->red[c->red_n].out = out;
    c->red_n++;
    c->red_slots += (ncomp + 3) / 4 * 4;
    return 0;
  }
  DASHI_CALL(vk_sync(c));
  double r[3];
  for (uint32_t i = 0; i < ncomp; i++) r[i] = result(c, (int)i);
  return red_post(c, kind, ncomp, r, out);
}

int vk_reductions_defer(dashi_backend *b, dashi_defer mode) {
  vk_ctx *c = VKX(b);
  int n = c->red_n;
  c->red_defer = mode == DASHI_DEFER_BEGIN, c->red_n = 0, c->red_slots = 0;
  if (mode != DASHI_DEFER_END || !n) return 0;
  DASHI_CALL(vk_sync(c));
  for (int k = 0; k < n; k++) {
    double r[3];
    for (uint32_t i = 0; i < c->red[k].ncomp; i++) r[i] = result(c, (int)(c->red[k].slot + i));
    DASHI_CALL(red_post(c, c->red[k].kind, c->red[k].ncomp, r, c->red[k].out));
  }
  return 0;
}

int vk_spec_dot(dashi_backend *b, const dashi_field *x, const dashi_field *y, double *out) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, VKF(x)->addr);
  pc_addr(&p, VKF(y)->addr);
  pc_addr(&p, c->partials.addr);
  uint32_t groups = vk_groups_for(c->lay.count);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_DOT, &p, groups));
  return vk_reduce(c, groups, 1, 0, VK_RED_PLANE, out);
}

int vk_spec_moments(dashi_backend *b, const dashi_field *w, double out[3]) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, VKF(w)->addr);
  pc_addr(&p, c->partials.addr);
  uint32_t groups = vk_groups_for(c->lay.count);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_MOMENTS, &p, groups));
  return vk_reduce(c, groups, 3, 0, VK_RED_MOMENTS, out);
}

int vk_spec_shells(dashi_backend *b, const dashi_field *w, double *Ek) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  int H = c->g->N / 2;
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, VKF(w)->addr);
  pc_addr(&p, c->results.addr);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_SHELLS, &p, (uint32_t)H + 1));
  DASHI_CALL(vk_sync(c));
  double *loc = malloc(sizeof(double) * (H + 1));
  for (int s = 0; s <= H; s++) loc[s] = result(c, s);
  int rc = full_plane(c, H + 1, loc, Ek);
  free(loc);
  return rc;
}

int vk_real_maxabs(dashi_backend *b, const dashi_field *f, double *out) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  uint32_t count = (uint32_t)c->g->nx * (uint32_t)c->g->N;
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, VKF(f)->addr);
  pc_addr(&p, c->partials.addr);
  uint32_t groups = vk_groups_for(count);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_MAXABS, &p, groups));
  return vk_reduce(c, groups, 2, 1, VK_RED_MAXABS, out);
}

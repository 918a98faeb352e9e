/* Reductions: one pass writes a partial per workgroup (at most 65535 of them), a final pass in
 * one workgroup folds ANY number of partials in a fixed order into a host-visible result, then
 * one submit + wait, then MPI_Allreduce over the ranks. Sums accumulate in double where the
 * device has shaderFloat64. Normalization as in the CPU backend: full-plane sums / N^4. */
#include <math.h>
#include <stdlib.h>

#include "dashi/error.h"
#include "vk_internal.h"

static double result(const vk_ctx *c, int i) {
  return c->acc64 ? ((const double *)c->results.map)[i]
                  : (double)((const float *)c->results.map)[i];
}

int vk_reduce_finish(vk_ctx *c, uint32_t nparts, uint32_t ncomp, uint32_t op, double *out) {
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, c->partials.addr);
  pc_addr(&p, c->results.addr);
  pc_u32(&p, ncomp);
  pc_u32(&p, nparts);
  pc_u32(&p, op);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_FINAL, &p, 1));
  DASHI_CALL(vk_sync(c));
  for (uint32_t i = 0; i < ncomp; i++) out[i] = result(c, (int)i);
  return 0;
}

static int full_plane(const vk_ctx *c, int n, double *loc, double *out) {
  DASHI_MPI(MPI_Allreduce(loc, out, n, MPI_DOUBLE, MPI_SUM, c->g->comm));
  double n4 = (double)c->g->N * c->g->N * (double)c->g->N * c->g->N;
  for (int i = 0; i < n; i++) out[i] /= n4;
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
  double s;
  DASHI_CALL(vk_dispatch_groups(c, PIPE_DOT, &p, groups));
  DASHI_CALL(vk_reduce_finish(c, groups, 1, 0, &s));
  return full_plane(c, 1, &s, out);
}

int vk_spec_moments(dashi_backend *b, const dashi_field *w, double out[3]) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, VKF(w)->addr);
  pc_addr(&p, c->partials.addr);
  uint32_t groups = vk_groups_for(c->lay.count);
  double s[3];
  DASHI_CALL(vk_dispatch_groups(c, PIPE_MOMENTS, &p, groups));
  DASHI_CALL(vk_reduce_finish(c, groups, 3, 0, s));
  DASHI_CALL(full_plane(c, 3, s, out));
  for (int i = 0; i < 3; i++) out[i] *= 0.5;
  return 0;
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
  double r[2], g[2];
  DASHI_CALL(vk_dispatch_groups(c, PIPE_MAXABS, &p, groups));
  DASHI_CALL(vk_reduce_finish(c, groups, 2, 1, r));
  DASHI_MPI(MPI_Allreduce(r, g, 2, MPI_DOUBLE, MPI_MAX, c->g->comm));
  *out = g[1] > 0 ? NAN : g[0]; /* reported, never hidden */
  return 0;
}

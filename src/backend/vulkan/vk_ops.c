/* Spectral multipliers and pointwise kernels of the ops table: each records one dispatch (the
 * shaders in shaders/) into the current command buffer and returns; nothing waits here except
 * nonlinear_pointwise when the caller asks for <nu_t>. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"

static VkDeviceAddress addr_of(const dashi_field *f) {
  return f ? VKF(f)->addr : 0;
}

/* the exp filter's D(k) is taken from dashi_dealias_factor on the host (bit-identical to the CPU
 * backend; GLSL has no double-precision exp/pow) into a table in the device layout */
static int dealias_table(vk_ctx *c, const dashi_dealias *d, VkDeviceAddress *addr) {
  *addr = 0;
  if (d->kind != DASHI_DEALIAS_EXP) return 0;
  if (c->have_dtab && c->dtab_for.alpha == d->alpha && c->dtab_for.power == d->power) {
    *addr = c->dtab.addr;
    return 0;
  }
  const vk_layout *l = &c->lay;
  if (!c->dtab.buf)
    DASHI_CALL(vk_buffer_create(c, (VkDeviceSize)l->count * c->rsize, false, &c->dtab,
                                "exp filter table"));
  void *h = malloc((size_t)l->count * c->rsize);
  if (!h) return dashi_err(DASHI_ERR_GENERIC, "out of memory building the exp filter table");
  for (uint32_t m = 0; m < l->count; m++) {
    uint32_t a = l->kyfast ? m % l->nrows : m / l->N, b = l->kyfast ? m / l->nrows : m % l->N;
    double D = dashi_dealias_factor(c->g, d, dashi_kx(c->g, (int)b), (int)(l->ky0 + a));
    if (c->f64)
      ((double *)h)[m] = D;
    else
      ((float *)h)[m] = (float)D;
  }
  int rc = vk_upload(c, c->dtab.buf, 0, (VkDeviceSize)l->count * c->rsize, h);
  free(h);
  DASHI_CALL(rc);
  c->have_dtab = true;
  c->dtab_for = *d;
  *addr = c->dtab.addr;
  return 0;
}

static uint32_t dealias_kind(const dashi_dealias *d) {
  return d->kind == DASHI_DEALIAS_NONE ? 0u : d->kind == DASHI_DEALIAS_TWOTHIRDS ? 1u : 2u;
}

int vk_derive_record(vk_ctx *c, VkDeviceAddress src, int n, const dashi_spec_op *ops,
                     const VkDeviceAddress *dst, uint32_t band, uint32_t cols, bool conj) {
  for (int i = 0; i < n; i += 7) {
    int k = n - i < 7 ? n - i : 7;
    vk_pc p;
    uint32_t packed = 0;
    pc_init(&p, c);
    pc_addr(&p, src);
    for (int o = 0; o < 7; o++) pc_addr(&p, dst[i + (o < k ? o : 0)]);
    for (int o = 0; o < k; o++) packed |= (uint32_t)ops[i + o] << (4 * o);
    pc_u32(&p, packed);
    pc_u32(&p, (uint32_t)k);
    pc_u32(&p, band);
    pc_u32(&p, cols);
    pc_u32(&p, conj);
    DASHI_CALL(vk_dispatch(c, PIPE_SPEC_DERIVE, &p, c->lay.count));
  }
  return 0;
}

int vk_spec_derive(dashi_backend *b, const dashi_field *src, int n, const dashi_spec_op *ops,
                   dashi_field *const *dst) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  /* under the solver's band hint, the modes outside the band are not written: the source is
   * zero there and the zero-padded inverse transforms that read these fields skip them */
  unsigned all = VK_ZP_X | VK_ZP_Y | VK_ZP_DERIVE;
  uint32_t skip = 0;
  if ((c->fft_zeropad & all) == all && n > 0) {
    int band = vk_fft_band_usable(c, b->fft_band_in, VKF(dst[0])->chunk);
    DASHI_CALL(band < 0 ? -band : 0);
    skip = (uint32_t)band;
  }
  enum { MAX_OUT = 16 };
  VkDeviceAddress d[MAX_OUT];
  if (n > MAX_OUT)
    return dashi_err(DASHI_ERR_USAGE, "spec_derive: %d outputs, at most %d", n, (int)MAX_OUT);
  for (int i = 0; i < n; i++) d[i] = addr_of(dst[i]);
  return vk_derive_record(c, addr_of(src), n, ops, d, skip, 0, false);
}

int vk_nonlinear(dashi_backend *b, const dashi_sgs_params *sp, dashi_field *const *in,
                 dashi_field *const *out, double *nu_t_mean) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  const dashi_grid *g = c->g;
  bool sgs = sp->smag > 0, lap = sp->form == DASHI_SGS_FORM_LAP;
  uint32_t count = (uint32_t)g->nx * (uint32_t)g->N;
  vk_pc p;
  pc_init(&p, c);
  for (int i = 0; i < 4; i++) pc_addr(&p, addr_of(in[i]));
  pc_addr(&p, sgs ? addr_of(in[4]) : 0);
  pc_addr(&p, sgs ? addr_of(in[5]) : 0);
  pc_addr(&p, sgs && lap ? addr_of(in[6]) : 0);
  pc_addr(&p, addr_of(out[0]));
  pc_addr(&p, sgs ? addr_of(out[1]) : 0);
  pc_addr(&p, sgs && !lap ? addr_of(out[2]) : 0);
  pc_addr(&p, c->partials.addr);
  pc_real(&p, 2.0 * sp->smag);
  pc_u32(&p, sgs);
  pc_u32(&p, lap);
  pc_u32(&p, nu_t_mean && sgs);
  uint32_t groups = vk_groups_for(count);
  DASHI_CALL(vk_dispatch_groups(c, PIPE_NONLINEAR, &p, groups));
  if (!nu_t_mean) return 0;
  if (!sgs) return *nu_t_mean = 0, 0;
  return vk_reduce(c, groups, 1, 0, VK_RED_MEAN, nu_t_mean);
}

typedef struct {
  VkDeviceAddress dst, e[2];
  double c[3];
  uint32_t nterms, at_rhs;
} fused_lincomb;

static int record_tendency(vk_ctx *c, const vk_pending *t, const fused_lincomb *lc) {
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, t->w);
  pc_addr(&p, t->adv);
  pc_addr(&p, t->q1);
  pc_addr(&p, t->q2);
  pc_addr(&p, t->force);
  pc_addr(&p, t->rhs);
  pc_addr(&p, t->dtab);
  pc_real(&p, t->nu0);
  pc_real(&p, t->drag);
  pc_u32(&p, t->flags | (lc ? 32u | lc->nterms << 6 | lc->at_rhs << 8 : 0u));
  pc_u32(&p, t->dkind);
  pc_addr(&p, lc ? lc->dst : 0);
  pc_addr(&p, lc ? lc->e[0] : 0);
  pc_addr(&p, lc ? lc->e[1] : 0);
  for (int i = 0; i < 3; i++) pc_real(&p, lc ? lc->c[i] : 0.0);
  return vk_dispatch(c, PIPE_TENDENCY, &p, c->lay.count);
}

int vk_flush_pending(vk_ctx *c) {
  if (!c->pend.active) return 0;
  c->pend.active = false;
  return record_tendency(c, &c->pend, NULL);
}

int vk_spec_tendency(dashi_backend *b, const dashi_tend_params *tp, const dashi_field *w,
                     const dashi_field *adv, const dashi_field *q1, const dashi_field *q2,
                     const dashi_field *force, dashi_field *rhs) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  bool lap = tp->form == DASHI_SGS_FORM_LAP, fold = tp->q2_in_adv;
  bool use_adv = tp->with_adv && adv, use_sgs = tp->with_sgs && q1 && (lap || q2 || fold);
  bool use_f = tp->with_force && force;
  if (fold && (lap || !use_adv || !use_sgs))
    return dashi_err(DASHI_ERR_USAGE, "spec_tendency: q2_in_adv needs the div form, adv and sgs");
  if (tp->with_sgs && q1 && !lap && !q2 && !fold)
    return dashi_err(DASHI_ERR_USAGE, "spec_tendency: the div form needs q1 and q2");
  vk_pending *t = &c->pend;
  DASHI_CALL(dealias_table(c, &tp->dealias, &t->dtab));
  t->flags = (use_adv ? 1u : 0) | (use_sgs ? 2u : 0) | (tp->with_linear ? 4u : 0) |
             (use_f ? 8u : 0) | (lap ? 16u : 0) | (fold ? 1024u : 0);
  t->dkind = dealias_kind(&tp->dealias);
  t->w = addr_of(w);
  t->adv = use_adv ? addr_of(adv) : 0;
  t->q1 = use_sgs ? addr_of(q1) : 0;
  t->q2 = use_sgs && !lap && !fold ? addr_of(q2) : 0;
  t->force = use_f ? addr_of(force) : 0;
  t->rhs = addr_of(rhs);
  t->rhs_field = rhs;
  t->nu0 = tp->nu0;
  t->drag = tp->drag;
  t->active = true;
  return 0;
}

/* the pending tendency and this lincomb in one pass, when the lincomb has at most 3 terms and
 * reads the tendency's result exactly once */
static bool fuse_lincomb(vk_ctx *c, dashi_field *dst, int n, const double *cf,
                         dashi_field *const *src, fused_lincomb *lc) {
  if (!c->pend.active || n > 3) return false;
  int hits = 0, ne = 0;
  for (int i = 0; i < n; i++) {
    lc->c[i] = cf[i];
    if (src[i] == c->pend.rhs_field)
      hits++, lc->at_rhs = (uint32_t)i;
    else
      lc->e[ne++] = addr_of(src[i]);
  }
  for (int i = n; i < 3; i++) lc->c[i] = 0.0;
  for (int i = ne; i < 2; i++) lc->e[i] = 0;
  lc->nterms = (uint32_t)n;
  lc->dst = addr_of(dst);
  return hits == 1;
}

/* up to 6 terms per dispatch; beyond that the terms are chained with accumulation, the ones
 * aliasing dst first (every element reads all its terms before it is written) */
int vk_spec_lincomb(dashi_backend *b, dashi_field *dst, int n, const double *cf,
                    dashi_field *const *src) {
  vk_ctx *c = VKX(b);
  if (n < 1 || n > 8) return dashi_err(DASHI_ERR_GENERIC, "spec_lincomb: 1 to 8 terms (got %d)", n);
  fused_lincomb lc;
  if (fuse_lincomb(c, dst, n, cf, src, &lc)) {
    c->pend.active = false;
    return record_tendency(c, &c->pend, &lc);
  }
  DASHI_CALL(vk_flush_pending(c));
  int order[8], k = 0;
  if (n <= 6) {
    for (int i = 0; i < n; i++) order[k++] = i;
  } else {
    for (int i = 0; i < n; i++)
      if (src[i] == dst) order[k++] = i;
    if (k > 6) return dashi_err(DASHI_ERR_GENERIC, "spec_lincomb: dst appears more than 6 times");
    for (int i = 0; i < n; i++)
      if (src[i] != dst) order[k++] = i;
  }
  uint32_t count = 2 * c->lay.count;
  for (int g0 = 0; g0 < n; g0 += 6) {
    int m = n - g0 < 6 ? n - g0 : 6;
    vk_pc p;
    pc_init(&p, c);
    pc_addr(&p, addr_of(dst));
    for (int i = 0; i < 6; i++) pc_addr(&p, addr_of(src[order[g0 + (i < m ? i : 0)]]));
    for (int i = 0; i < 6; i++) pc_real(&p, i < m ? cf[order[g0 + i]] : 0.0);
    pc_u32(&p, (uint32_t)m);
    pc_u32(&p, g0 > 0);
    DASHI_CALL(vk_dispatch(c, PIPE_LINCOMB, &p, count));
  }
  return 0;
}

int vk_spec_filter(dashi_backend *b, const dashi_dealias *d, dashi_field *f) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  VkDeviceAddress dt;
  DASHI_CALL(dealias_table(c, d, &dt));
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, addr_of(f));
  pc_addr(&p, dt);
  pc_u32(&p, dealias_kind(d));
  return vk_dispatch(c, PIPE_FILTER, &p, c->lay.count);
}

/* The noise amp * xi(seed, step, mode) of the O(kf^2) shell modes is computed on the host by
 * dashi_ring_mode (Philox4x32-10 + Box-Muller in double, as the CPU backend), so it is bit for
 * bit the CPU's noise; the device adds it to the state. */
int vk_spec_ring_kick(dashi_backend *b, uint64_t seed, int64_t step, double kf, double dk,
                      double amp, dashi_field *w) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  const dashi_grid *g = c->g;
  int kmax = (int)ceil(kf + dk);
  size_t cap = 0;
  for (int a = 0; a < g->nky && g->ky0 + a <= kmax; a++) cap += 2 * (size_t)kmax + 1;
  if (!cap) return 0;
  uint32_t *idx = malloc(cap * sizeof *idx);
  double *val = malloc(2 * cap * sizeof *val);
  uint32_t cnt = 0;
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    if (ky > kmax) break;
    for (int kx = -kmax; kx <= kmax; kx++) {
      if (kx <= -g->N / 2 || kx > g->N / 2 || dashi_is_nyquist(g, kx, ky)) continue;
      double xi[2];
      dashi_ring_mode(seed, step, kx, ky, kf, dk, xi);
      if (xi[0] == 0.0 && xi[1] == 0.0) continue; /* off the shell: the CPU adds exactly 0 */
      uint32_t bcol = (uint32_t)(kx >= 0 ? kx : kx + g->N);
      idx[cnt] = c->lay.kyfast ? bcol * c->lay.nrows + (uint32_t)a : (uint32_t)a * c->lay.N + bcol;
      val[2 * cnt] = amp * xi[0];
      val[2 * cnt + 1] = amp * xi[1];
      cnt++;
    }
  }
  int rc = 0;
  if (cnt) {
    size_t vbytes = 2 * (size_t)cnt * c->rsize, vpad = (vbytes + 255) & ~(size_t)255;
    void *h;
    VkDeviceAddress at;
    rc = vk_arena(c, vpad + cnt * sizeof(uint32_t), &h, &at);
    if (!rc) {
      for (uint32_t i = 0; i < 2 * cnt; i++) {
        if (c->f64)
          ((double *)h)[i] = val[i];
        else
          ((float *)h)[i] = (float)val[i];
      }
      memcpy((char *)h + vpad, idx, cnt * sizeof(uint32_t));
      vk_pc p;
      pc_init(&p, c);
      pc_addr(&p, addr_of(w));
      pc_addr(&p, at);
      pc_addr(&p, at + vpad);
      pc_u32(&p, cnt);
      rc = vk_dispatch(c, PIPE_RING, &p, cnt);
    }
  }
  free(idx);
  free(val);
  return rc;
}

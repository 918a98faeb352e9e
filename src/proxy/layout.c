/* Proxy configuration and mode sets (SPEC §3): the low set L, the mid set M and the frozen anchors,
 * all in the non-redundant half plane (ky > 0, or ky = 0 and kx > 0), ordered by ky, then kx. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/proxy.h"

int dashi_proxy_config_from_options(const dashi_options *o, int N, dashi_proxy_config *c) {
  c->N = N;
  c->k_cut = (int)dashi_opt_i(o, "k_cut");
  c->mid_cut = (int)dashi_opt_i(o, "mid_cut");
  c->topk = (int)dashi_opt_i(o, "topk");
  c->smooth_k = (int)dashi_opt_i(o, "smooth_k");
  c->tau = dashi_opt_r(o, "tau");
  return 0;
}

static int mode_cmp(const void *pa, const void *pb) {
  const dashi_mode *a = pa, *b = pb;
  if (a->ky != b->ky) return a->ky < b->ky ? -1 : 1;
  return (a->kx > b->kx) - (a->kx < b->kx);
}

static bool half_plane(int kx, int ky) {
  return ky > 0 || (ky == 0 && kx > 0);
}

int dashi_proxy_layout_init(const dashi_proxy_config *c, dashi_proxy_layout *l) {
  memset(l, 0, sizeof *l);
  l->cfg = *c;
  if (c->N < 4 || c->N % 2)
    return dashi_err(DASHI_ERR_USAGE, "proxy: grid size N=%d must be even and >= 4", c->N);
  if (c->k_cut < 1)
    return dashi_err(DASHI_ERR_USAGE, "-k_cut %d: the low set needs k_cut >= 1", c->k_cut);
  if (c->mid_cut <= c->k_cut)
    return dashi_err(DASHI_ERR_USAGE, "-mid_cut %d must exceed -k_cut %d", c->mid_cut, c->k_cut);
  if (2 * c->mid_cut >= c->N)
    return dashi_err(DASHI_ERR_USAGE,
                     "-mid_cut %d reaches the Nyquist wavenumber N/2 = %d of the truth grid: use "
                     "-mid_cut < N/2 (or a finer truth)",
                     c->mid_cut, c->N / 2);
  if (c->topk < 0) return dashi_err(DASHI_ERR_USAGE, "-topk %d must be >= 0", c->topk);
  if (c->smooth_k < 1 || c->smooth_k > c->N)
    return dashi_err(DASHI_ERR_USAGE, "-smooth_k %d must be in 1..N=%d", c->smooth_k, c->N);
  if (!(c->tau >= 0.0 && c->tau < 1.0))
    return dashi_err(DASHI_ERR_USAGE, "-tau %g must be in [0, 1)", c->tau);
  int mc = c->mid_cut, cap = (2 * mc + 1) * (mc + 1);
  l->L = calloc((size_t)cap, sizeof *l->L);
  l->M = calloc((size_t)cap, sizeof *l->M);
  for (int ky = 0; ky <= mc; ky++)
    for (int kx = -mc; kx <= mc; kx++) {
      int k2 = kx * kx + ky * ky;
      if (!half_plane(kx, ky)) continue;
      if (k2 <= c->k_cut * c->k_cut)
        l->L[l->nL++] = (dashi_mode){kx, ky};
      else if (k2 <= mc * mc)
        l->M[l->nM++] = (dashi_mode){kx, ky};
    }
  l->K = c->topk < l->nM ? c->topk : l->nM;
  l->D = 2 * l->nL + 4 + 2 * l->K;
  l->anchors = calloc((size_t)(l->K ? l->K : 1), sizeof *l->anchors);
  return 0;
}

int dashi_proxy_layout_set_anchors(dashi_proxy_layout *l, int K, const dashi_mode *a) {
  if (K != l->K)
    return dashi_err(DASHI_ERR_INPUT, "proxy: %d anchors given, the configuration has K=%d", K,
                     l->K);
  int k2lo = l->cfg.k_cut * l->cfg.k_cut, k2hi = l->cfg.mid_cut * l->cfg.mid_cut;
  for (int i = 0; i < K; i++) {
    int k2 = a[i].kx * a[i].kx + a[i].ky * a[i].ky;
    if (!half_plane(a[i].kx, a[i].ky) || k2 <= k2lo || k2 > k2hi)
      return dashi_err(DASHI_ERR_INPUT,
                       "proxy: anchor (kx=%d, ky=%d) is not a half-plane mode of the mid band "
                       "%d < |k| <= %d",
                       a[i].kx, a[i].ky, l->cfg.k_cut, l->cfg.mid_cut);
  }
  memcpy(l->anchors, a, sizeof *a * (size_t)K);
  qsort(l->anchors, (size_t)K, sizeof *a, mode_cmp);
  for (int i = 1; i < K; i++)
    if (!mode_cmp(&l->anchors[i - 1], &l->anchors[i]))
      return dashi_err(DASHI_ERR_INPUT, "proxy: anchor (kx=%d, ky=%d) appears twice",
                       l->anchors[i].kx, l->anchors[i].ky);
  l->frozen = true;
  return 0;
}

void dashi_proxy_layout_free(dashi_proxy_layout *l) {
  free(l->L);
  free(l->M);
  free(l->anchors);
  memset(l, 0, sizeof *l);
}

int dashi_proxy_layout_compare(const dashi_proxy_layout *a, const char *wa,
                               const dashi_proxy_layout *b, const char *wb) {
  const dashi_proxy_config *x = &a->cfg, *y = &b->cfg;
#define DIFF_I(f)                                                                                  \
  if (x->f != y->f)                                                                                \
  return dashi_err(DASHI_ERR_INPUT,                                                                \
                   "proxy configuration mismatch: %s has " #f "=%d but %s has " #f "=%d; "         \
                   "inputs of one run must come from the same truth grid and proxy "               \
                   "configuration (re-encode or re-learn with matching options)",                  \
                   wa, x->f, wb, y->f)
  DIFF_I(N);
  DIFF_I(k_cut);
  DIFF_I(mid_cut);
  DIFF_I(topk);
  DIFF_I(smooth_k);
#undef DIFF_I
  if (x->tau != y->tau)
    return dashi_err(DASHI_ERR_INPUT,
                     "proxy configuration mismatch: %s has tau=%g but %s has tau=%g", wa, x->tau,
                     wb, y->tau);
  if (a->frozen != b->frozen || a->K != b->K)
    return dashi_err(DASHI_ERR_INPUT, "proxy anchors mismatch: %s has %d%s anchors, %s has %d%s",
                     wa, a->K, a->frozen ? "" : " (unset)", wb, b->K, b->frozen ? "" : " (unset)");
  for (int i = 0; i < a->K; i++)
    if (a->anchors[i].kx != b->anchors[i].kx || a->anchors[i].ky != b->anchors[i].ky)
      return dashi_err(DASHI_ERR_INPUT,
                       "proxy anchors mismatch: anchor %d is (kx=%d, ky=%d) in %s but (kx=%d, "
                       "ky=%d) in %s: the two files were encoded from different first frames",
                       i, a->anchors[i].kx, a->anchors[i].ky, wa, b->anchors[i].kx,
                       b->anchors[i].ky, wb);
  return 0;
}

char *dashi_proxy_config_json(const dashi_proxy_layout *l) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "proxy_id", DASHI_PROXY_ID);
  cJSON_AddNumberToObject(j, "N", l->cfg.N);
  cJSON_AddNumberToObject(j, "k_cut", l->cfg.k_cut);
  cJSON_AddNumberToObject(j, "mid_cut", l->cfg.mid_cut);
  cJSON_AddNumberToObject(j, "topk", l->cfg.topk);
  cJSON_AddNumberToObject(j, "smooth_k", l->cfg.smooth_k);
  cJSON_AddNumberToObject(j, "tau", l->cfg.tau);
  cJSON_AddNumberToObject(j, "nL", l->nL);
  cJSON_AddNumberToObject(j, "nM", l->nM);
  cJSON_AddNumberToObject(j, "K", l->K);
  cJSON_AddNumberToObject(j, "D", l->D);
  cJSON_AddStringToObject(j, "normalization", "c_k = w_hat(k) / N^2");
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

/* base = box average over offsets j = -w/2 .. w-1-w/2 (scipy's uniform_filter, mode wrap), so
 * base_hat(k) = H(k) w_hat(k) with H(k) = (1/w) sum_j exp(+2 pi i k j / N) */
void dashi_box_transfer(int N, int w, int k, double out[2]) {
  double re = 0, im = 0;
  for (int j = -(w / 2); j <= w - 1 - w / 2; j++) {
    double ph = 2.0 * M_PI * (double)k * j / N;
    re += cos(ph);
    im += sin(ph);
  }
  out[0] = re / w;
  out[1] = im / w;
}

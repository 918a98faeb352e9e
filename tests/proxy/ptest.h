/* Helpers of the proxy tests (header only), on top of the shared C test helpers of
 * tests/unit/test_util.h (collective checks, TU_OK, set-up): a field builder from known Fourier
 * modes, a backend for spectral <-> real conversions, and the proxy configuration of the tests. */
#ifndef DASHI_PTEST_H
#define DASHI_PTEST_H
#include "../unit/test_util.h"
#include "dashi/proxy.h"

/* a mode of the synthetic field: w = sum 2 Re(c e^{i(kx x + ky y)}) over half-plane modes */
typedef struct {
  int kx, ky;
  double re, im;
} pt_mode;

/* canonical spectrum [nky][N][2] of the field (exact: w_hat = N^2 c, Hermitian on ky = 0) */
static inline void pt_canon(const dashi_grid *g, int n, const pt_mode *m, double *canon) {
  memset(canon, 0, sizeof(double) * 2 * (size_t)g->nky * g->N);
  double s = (double)g->N * g->N;
  for (int i = 0; i < n; i++) {
    int ky = m[i].ky;
    if (ky < g->ky0 || ky >= g->ky0 + g->nky) continue;
    double *c = canon + 2 * ((size_t)(ky - g->ky0) * g->N + (m[i].kx + g->N) % g->N);
    c[0] += m[i].re * s, c[1] += m[i].im * s;
    if (ky == 0) {
      c = canon + 2 * ((size_t)(-m[i].kx + g->N) % g->N);
      c[0] += m[i].re * s, c[1] -= m[i].im * s;
    }
  }
}

/* backend + two fields for spectral <-> real conversions */
typedef struct {
  dashi_backend *b;
  dashi_field *spec, *real;
} pt_fft;

static inline void pt_fft_create(const dashi_grid *g, pt_fft *f) {
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  TU_OK(dashi_backend_create(g, &bc, &f->b));
  TU_OK(f->b->ops->field_create(f->b, DASHI_FIELD_SPEC, &f->spec));
  TU_OK(f->b->ops->field_create(f->b, DASHI_FIELD_REAL, &f->real));
}
static inline void pt_fft_destroy(pt_fft *f) {
  f->b->ops->field_destroy(f->b, f->spec);
  f->b->ops->field_destroy(f->b, f->real);
  dashi_backend_destroy(f->b);
}
static inline void pt_to_real(pt_fft *f, const double *canon, double *slab) {
  TU_OK(f->b->ops->spec_put(f->b, f->spec, canon));
  TU_OK(f->b->ops->fft_inverse(f->b, 1, &f->spec, &f->real));
  TU_OK(f->b->ops->real_get(f->b, f->real, slab));
}

static inline dashi_proxy_config pt_config(int N) {
  return (dashi_proxy_config){
      .N = N, .k_cut = 8, .mid_cut = 12, .topk = 128, .smooth_k = 3, .tau = 0.1};
}

/* the layout of pt_config(N) with its anchors frozen to the first K modes of the mid set M */
static inline void pt_layout_first_anchors(int N, dashi_proxy_layout *l) {
  dashi_proxy_config c = pt_config(N);
  TU_OK(dashi_proxy_layout_init(&c, l));
  TU_OK(dashi_proxy_layout_set_anchors(l, l->K, l->M));
}

#endif

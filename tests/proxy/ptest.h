/* Helpers of the proxy tests (header only): collective checks that print the measured value, and
 * a field builder from known Fourier modes. Every check's condition must agree on all ranks. */
#ifndef DASHI_PTEST_H
#define DASHI_PTEST_H
#include <fftw3.h>
#include <math.h>
#include <petscsys.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/grid.h"
#include "dashi/log.h"
#include "dashi/proxy.h"

static int pt_fails, pt_checks;

static inline int pt_rank(void) {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

#define PT_OK(expr)                                                                                \
  do {                                                                                             \
    int pt_rc_ = (expr);                                                                           \
    if (pt_rc_) {                                                                                  \
      fprintf(stderr, "FATAL %s:%d: %s failed (code %d): %s\n", __FILE__, __LINE__, #expr, pt_rc_, \
              dashi_err_msg());                                                                    \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                                \
    }                                                                                              \
  } while (0)

static inline void pt_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void pt_check(bool ok, const char *fmt, ...) {
  pt_checks++;
  if (!ok) pt_fails++;
  if (pt_rank()) return;
  va_list ap;
  va_start(ap, fmt);
  fputs(ok ? "  ok    " : "  FAIL  ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
  fflush(stdout);
}

static inline void pt_init(int *argc, char ***argv) {
  if (PetscInitialize(argc, argv, NULL, NULL)) exit(1);
  dashi_log_register();
}

static inline int pt_finish(const char *name) {
  int tot;
  MPI_Allreduce(&pt_fails, &tot, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!pt_rank()) printf("%s: %d checks, %d failed\n", name, pt_checks, tot);
  PetscFinalize();
  return tot ? 1 : 0;
}

static inline double pt_maxdiff(const double *a, const double *b, size_t n) {
  double m = 0;
  for (size_t k = 0; k < n; k++) {
    double d = fabs(a[k] - b[k]);
    if (!(d <= m)) m = d;
  }
  return m;
}

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
  PT_OK(dashi_backend_create(g, &bc, &f->b));
  PT_OK(f->b->ops->field_create(f->b, DASHI_FIELD_SPEC, &f->spec));
  PT_OK(f->b->ops->field_create(f->b, DASHI_FIELD_REAL, &f->real));
}
static inline void pt_fft_destroy(pt_fft *f) {
  f->b->ops->field_destroy(f->b, f->spec);
  f->b->ops->field_destroy(f->b, f->real);
  dashi_backend_destroy(f->b);
}
static inline void pt_to_real(pt_fft *f, const double *canon, double *slab) {
  PT_OK(f->b->ops->spec_put(f->b, f->spec, canon));
  PT_OK(f->b->ops->fft_inverse(f->b, 1, &f->spec, &f->real));
  PT_OK(f->b->ops->real_get(f->b, f->real, slab));
}

static inline dashi_proxy_config pt_config(int N) {
  return (dashi_proxy_config){
      .N = N, .k_cut = 8, .mid_cut = 12, .topk = 128, .smooth_k = 3, .tau = 0.1};
}

#endif

/* Small helpers shared by the C test programs (header only): PETSc/MPI set-up, collective checks
 * that print the measured value and count failures, global reductions over slabs, and a solver
 * built from a plain configuration. Every check is collective: its condition must be the same on
 * all ranks (global quantities only), and rank 0 prints it. */
#ifndef DASHI_TEST_UTIL_H
#define DASHI_TEST_UTIL_H
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
#include "dashi/les.h"
#include "dashi/log.h"

static int tu_fails, tu_checks;

static inline int tu_rank(MPI_Comm c) {
  int r;
  MPI_Comm_rank(c, &r);
  return r;
}

/* a library call that must succeed: abort the whole job with the library's message otherwise */
#define TU_OK(expr)                                                                                \
  do {                                                                                             \
    int tu_rc_ = (expr);                                                                           \
    if (tu_rc_) {                                                                                  \
      fprintf(stderr, "FATAL %s:%d: %s failed (code %d): %s\n", __FILE__, __LINE__, #expr, tu_rc_, \
              dashi_err_msg());                                                                    \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                                \
    }                                                                                              \
  } while (0)

/* collective check: ok must agree on all ranks of MPI_COMM_WORLD */
static inline void tu_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tu_check(bool ok, const char *fmt, ...) {
  tu_checks++;
  if (!ok) tu_fails++;
  if (tu_rank(MPI_COMM_WORLD)) return;
  va_list ap;
  va_start(ap, fmt);
  fputs(ok ? "  ok    " : "  FAIL  ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
  fflush(stdout);
}

static inline void tu_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tu_note(const char *fmt, ...) {
  if (tu_rank(MPI_COMM_WORLD)) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

static inline void tu_init(int *argc, char ***argv) {
  if (PetscInitialize(argc, argv, NULL, NULL)) exit(1);
  dashi_log_register();
}

/* finalize; returns the exit status (non-zero when any check failed) */
static inline int tu_finish(const char *name) {
  int fails = tu_fails, tot;
  MPI_Allreduce(&fails, &tot, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  tu_note("%s: %d checks, %d failed\n", name, tu_checks, tot);
  PetscFinalize();
  return tot ? 1 : 0;
}

static inline double tu_max(MPI_Comm c, double x) {
  double y;
  MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_MAX, c);
  return y;
}
static inline double tu_sum(MPI_Comm c, double x) {
  double y;
  MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, c);
  return y;
}

/* max(m, x) keeping a NaN in either (fmax drops it; "if (!(x <= m)) m = x" drops a NaN already
 * in m at the next finite x) */
static inline double tu_nanmax(double m, double x) {
  return isnan(m) || isnan(x) ? NAN : fmax(m, x);
}
/* global max of x, NaN if any rank's is NaN (MPI_MAX need not propagate it) */
static inline double tu_max_nan(MPI_Comm c, double x) {
  int bad = isnan(x), anybad;
  MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, c);
  return anybad ? NAN : tu_max(c, x);
}
/* global max |a - b| over n local values (NaN-propagating: a NaN anywhere gives NaN) */
static inline double tu_maxdiff(MPI_Comm c, const double *a, const double *b, size_t n) {
  double m = 0;
  for (size_t k = 0; k < n; k++) m = tu_nanmax(m, fabs(a[k] - b[k]));
  return tu_max_nan(c, m);
}
/* global max |a| (NaN-propagating) */
static inline double tu_maxabs(MPI_Comm c, const double *a, size_t n) {
  double m = 0;
  for (size_t k = 0; k < n; k++) m = tu_nanmax(m, fabs(a[k]));
  return tu_max_nan(c, m);
}

/* the solver configuration of the default options (SPEC §2 / options_table.c) at N */
static inline dashi_les_config tu_default_config(int N) {
  dashi_les_config c;
  TU_OK(dashi_les_config_default(N, &c));
  return c;
}

/* grid + double-precision CPU backend + solver on comm */
typedef struct {
  dashi_grid g;
  dashi_backend *b;
  dashi_les *s;
} tu_solver;

static inline void tu_solver_create(MPI_Comm comm, const dashi_les_config *c, tu_solver *t) {
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  TU_OK(dashi_grid_create(comm, c->N, &t->g));
  TU_OK(dashi_backend_create(&t->g, &bc, &t->b));
  TU_OK(dashi_les_create(c, &t->g, t->b, &t->s));
}
static inline void tu_solver_destroy(tu_solver *t) {
  dashi_les_destroy(t->s);
  dashi_backend_destroy(t->b);
}

/* local spectral state in the canonical layout [nky][N][2] (caller frees) */
static inline double *tu_state(tu_solver *t) {
  double *c = malloc(sizeof(double) * 2 * (size_t)t->g.nky * t->g.N + 1);
  TU_OK(t->b->ops->spec_get(t->b, t->s->w, c));
  return c;
}
/* global L2 norm of a canonical spectral array (full-plane weights) */
static inline double tu_spec_norm(const dashi_grid *g, const double *c) {
  double s = 0;
  for (int a = 0; a < g->nky; a++)
    for (int b = 0; b < 2 * g->N; b++) {
      double z = c[(size_t)a * 2 * g->N + b];
      s += dashi_mode_weight(g->ky0 + a) * z * z;
    }
  return sqrt(tu_sum(g->comm, s));
}
static inline double tu_spec_dist(const dashi_grid *g, const double *x, const double *y) {
  double s = 0;
  for (int a = 0; a < g->nky; a++)
    for (int b = 0; b < 2 * g->N; b++) {
      size_t m = (size_t)a * 2 * g->N + b;
      s += dashi_mode_weight(g->ky0 + a) * (x[m] - y[m]) * (x[m] - y[m]);
    }
  return sqrt(tu_sum(g->comm, s));
}

#endif

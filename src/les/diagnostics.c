/* Diagnostics (SPEC §2), all spectral with full-plane weights, except max|w| and the CFL number,
 * which need real space. diss_Z = -<w T_diss>, T_diss the SGS + viscous + drag tendency. */
#include <math.h>

#include "dashi/error.h"
#include "dashi/les.h"
#include "dashi/log.h"

int dashi_les_omega_slab(dashi_les *s, double *slab) {
  const struct dashi_backend_ops *ops = s->b->ops;
  DASHI_CALL(ops->fft_inverse(s->b, 1, &s->w, &s->rl[0]));
  return ops->real_get(s->b, s->rl[0], slab);
}

int dashi_les_omega_slab_native(dashi_les *s, void *slab, bool *single) {
  const struct dashi_backend_ops *ops = s->b->ops;
  *single = ops->real_get_native && s->b->single;
  if (!ops->real_get_native) return dashi_les_omega_slab(s, slab);
  DASHI_CALL(ops->fft_inverse(s->b, 1, &s->w, &s->rl[0]));
  return ops->real_get_native(s->b, s->rl[0], slab);
}

/* the record's reductions of the state itself (no products): moments, max|w|, inj_Z */
static int state_reductions(dashi_les *s, dashi_les_diag *d, double m[3]) {
  const struct dashi_backend_ops *ops = s->b->ops;
  DASHI_CALL(ops->spec_moments(s->b, s->w, m));
  DASHI_CALL(ops->fft_inverse(s->b, 1, &s->w, &s->rl[0]));
  DASHI_CALL(ops->real_maxabs(s->b, s->rl[0], &d->max_omega));
  if (s->force) DASHI_CALL(ops->spec_dot(s->b, s->w, s->force, &d->inj_Z));
  return 0;
}

/* the record's reductions (m: moments; r: dashi_les_record_terms); their results are read after
 * the last one */
static int reductions(dashi_les *s, dashi_les_diag *d, double m[3], double r[4]) {
  DASHI_CALL(state_reductions(s, d, m));
  return dashi_les_record_terms(s, r);
}

/* the record's scalars from the reductions' results */
static void finish(const dashi_les *s, dashi_les_diag *d, const double m[3], const double r[4]) {
  d->E = m[0], d->Z = m[1], d->P = m[2];
  double umax = r[0] > r[1] || r[0] != r[0] ? r[0] : r[1];
  d->cfl = umax * s->cfg.dt / s->g->dx;
  d->nu_t_mean = r[2];
  d->diss_Z = -r[3];
}

/* closes a deferral (backend.h reductions_defer) opened by a record that got rc */
static int close_defer(dashi_les *s, int rc) {
  int (*defer)(dashi_backend *, dashi_defer) = s->b->ops->reductions_defer;
  if (defer && rc)
    defer(s->b, DASHI_DEFER_DISCARD); /* nothing reads them: the error ends the record */
  else if (defer)
    rc = defer(s->b, DASHI_DEFER_END);
  return rc;
}

static void start(const dashi_les *s, dashi_les_diag *d) {
  d->time = s->time;
  d->step = s->step;
  d->inj_Z = 0;
}

/* deferred where the backend can (reductions_defer: one wait for a GPU per record) */
static int diagnostics(dashi_les *s, dashi_les_diag *d) {
  int (*defer)(dashi_backend *, dashi_defer) = s->b->ops->reductions_defer;
  double m[3], r[4];
  start(s, d);
  if (defer) DASHI_CALL(defer(s->b, DASHI_DEFER_BEGIN));
  DASHI_CALL(close_defer(s, reductions(s, d, m, r)));
  finish(s, d, m, r);
  return 0;
}

/* The record rides on the step: moments, max|w| and inj_Z here, the rest from the step's first
 * right-hand side (rhs.c rhs_with_diag), all in one deferral - one wait, after the step. */
int dashi_les_step_diag(dashi_les *s, dashi_les_diag *d) {
  const struct dashi_backend_ops *ops = s->b->ops;
  double m[3], r[4];
  start(s, d);
  if (ops->reductions_defer) DASHI_CALL(ops->reductions_defer(s->b, DASHI_DEFER_BEGIN));
  PetscLogEventBegin(dashi_ev_diag, 0, 0, 0, 0);
  int rc = state_reductions(s, d, m);
  PetscLogEventEnd(dashi_ev_diag, 0, 0, 0, 0);
  if (!rc) {
    s->diag_ride = r;
    rc = dashi_les_step(s);
    if (!rc && s->diag_ride)
      rc = dashi_err(DASHI_ERR_USAGE, "internal: the step did not evaluate the right-hand side "
                                      "of its state");
    s->diag_ride = NULL;
  }
  DASHI_CALL(close_defer(s, rc));
  finish(s, d, m, r);
  return 0;
}

int dashi_les_diagnostics(dashi_les *s, dashi_les_diag *d) {
  PetscLogEventBegin(dashi_ev_diag, 0, 0, 0, 0);
  int rc = diagnostics(s, d);
  PetscLogEventEnd(dashi_ev_diag, 0, 0, 0, 0);
  return rc;
}

int dashi_les_spectrum(dashi_les *s, double *Ek) {
  return s->b->ops->spec_shells(s->b, s->w, Ek);
}

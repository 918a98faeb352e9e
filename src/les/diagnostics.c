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

static int diagnostics(dashi_les *s, dashi_les_diag *d) {
  const struct dashi_backend_ops *ops = s->b->ops;
  double m[3], umax;
  d->time = s->time;
  d->step = s->step;
  DASHI_CALL(ops->spec_moments(s->b, s->w, m));
  d->E = m[0], d->Z = m[1], d->P = m[2];
  DASHI_CALL(ops->fft_inverse(s->b, 1, &s->w, &s->rl[0]));
  DASHI_CALL(ops->real_maxabs(s->b, s->rl[0], &d->max_omega));
  DASHI_CALL(dashi_les_dissipative_tendency(s, s->scratch, &umax, &d->nu_t_mean));
  d->cfl = umax * s->cfg.dt / s->g->dx;
  DASHI_CALL(ops->spec_dot(s->b, s->w, s->scratch, &d->diss_Z));
  d->diss_Z = -d->diss_Z;
  d->inj_Z = 0;
  if (s->force) DASHI_CALL(ops->spec_dot(s->b, s->w, s->force, &d->inj_Z));
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

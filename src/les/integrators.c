/* Explicit Runge–Kutta steps on the spectral state (SPEC §2): rk2 = Heun (the default), SSP-RK3,
 * classical RK4. Ring forcing is white in time and enters as a kick sqrt(dt) sigma xi after the
 * deterministic step (Euler–Maruyama), keyed by the step number. */
#include "dashi/error.h"
#include "dashi/les.h"

#define LINCOMB(dst, n, ...)                                                                       \
  do {                                                                                             \
    double c_[] = {__VA_ARGS__};                                                                   \
    DASHI_CALL(ops->spec_lincomb(s->b, dst, n, c_, src_));                                         \
  } while (0)

int dashi_les_step(dashi_les *s) {
  const struct dashi_backend_ops *ops = s->b->ops;
  const double dt = s->cfg.dt;
  dashi_field *w = s->w, *t = s->tmp, **k = s->stage;
  switch (s->cfg.ts) {
  case DASHI_TS_RK2: {
    DASHI_CALL(dashi_les_rhs(s, w, k[0]));
    {
      dashi_field *src_[] = {w, k[0]};
      LINCOMB(t, 2, 1.0, dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[1]));
    {
      dashi_field *src_[] = {w, k[0], k[1]};
      LINCOMB(w, 3, 1.0, 0.5 * dt, 0.5 * dt);
    }
    break;
  }
  case DASHI_TS_SSPRK3: {
    DASHI_CALL(dashi_les_rhs(s, w, k[0]));
    {
      dashi_field *src_[] = {w, k[0]};
      LINCOMB(t, 2, 1.0, dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[1]));
    {
      dashi_field *src_[] = {w, t, k[1]};
      LINCOMB(t, 3, 0.75, 0.25, 0.25 * dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[2]));
    {
      dashi_field *src_[] = {w, t, k[2]};
      LINCOMB(w, 3, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0 * dt);
    }
    break;
  }
  case DASHI_TS_RK4: {
    DASHI_CALL(dashi_les_rhs(s, w, k[0]));
    {
      dashi_field *src_[] = {w, k[0]};
      LINCOMB(t, 2, 1.0, 0.5 * dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[1]));
    {
      dashi_field *src_[] = {w, k[1]};
      LINCOMB(t, 2, 1.0, 0.5 * dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[2]));
    {
      dashi_field *src_[] = {w, k[2]};
      LINCOMB(t, 2, 1.0, dt);
    }
    DASHI_CALL(dashi_les_rhs(s, t, k[3]));
    {
      dashi_field *src_[] = {w, k[0], k[1], k[2], k[3]};
      LINCOMB(w, 5, 1.0, dt / 6, dt / 3, dt / 3, dt / 6);
    }
    break;
  }
  }
  if (s->cfg.forcing == DASHI_FORCING_RING)
    DASHI_CALL(ops->spec_ring_kick(s->b, s->cfg.seed, s->step, s->cfg.kf, s->cfg.forcing_dk,
                                   s->ring_amp, w));
  s->step++;
  s->time += dt;
  return ops->step_end ? ops->step_end(s->b) : 0;
}

/* Right-hand side of dw/dt = -u.grad w + div((nu0 + nu_t) grad w) - mu w + F (SPEC §2):
 * spectral derivatives -> inverse FFTs -> pointwise products -> forward FFTs -> spectral tendency.
 * Transforms per evaluation: 4 inverse + 1 forward (no SGS), 6 + 3 (div form), 7 + 2 (lap form). */
#include <string.h>

#include "dashi/error.h"
#include "dashi/les.h"
#include "dashi/log.h"

static const dashi_spec_op deriv_ops[7] = {DASHI_OP_U,   DASHI_OP_V,   DASHI_OP_DX, DASHI_OP_DY,
                                           DASHI_OP_S11, DASHI_OP_S12, DASHI_OP_LAP};

static dashi_tend_params tend_params(const dashi_les *s) {
  dashi_tend_params p = {.dealias = s->cfg.dealias,
                         .form = s->cfg.sgs_form,
                         .nu0 = s->cfg.nu0,
                         .drag = s->cfg.drag,
                         .with_adv = true,
                         .with_sgs = s->cfg.sgs_on,
                         .with_linear = true,
                         .with_force = s->force != NULL};
  return p;
}

static dashi_sgs_params sgs_params(const dashi_les *s) {
  double delta = s->g->dx, cd = s->cfg.Cs * delta;
  dashi_sgs_params p = {.smag = s->cfg.sgs_on ? cd * cd : 0.0, .form = s->cfg.sgs_form};
  return p;
}

/* Band hints for the backend's transforms (backend.h fft_band_in/out), with 2/3 dealiasing:
 * K = N/3 keeps exactly the modes of the 2/3 filter (3|k| <= N). The outputs of the forward
 * transforms (nl_spec) are read only by spec_tendency, through that filter. The inputs of the
 * inverse transforms are derivatives of w: zero outside the band when w is the state or an RK
 * stage state, the state is band-limited (initial conditions and set_state_*), and the forcing
 * adds nothing outside it (the linear terms and filtered tendencies keep the band). */
static int band_out(const dashi_les *s) {
  return s->cfg.dealias.kind == DASHI_DEALIAS_TWOTHIRDS ? s->g->N / 3 : 0;
}

static int band_in(const dashi_les *s, const dashi_field *w) {
  bool force_ok = s->cfg.forcing != DASHI_FORCING_KOLMOGOROV || 3 * s->cfg.kf <= s->g->N;
  bool own = w == s->w || w == s->tmp;
  return s->band_limited && force_ok && own ? band_out(s) : 0;
}

/* the nonlinear products of state w, in spectral space (s->nl_spec); with nu_t_mean, real u, v
 * stay in rl[0..1] (otherwise a backend's fused op may leave them unset). folded: NULL where the
 * caller needs the terms apart; else the caller needs only the whole right-hand side, and *folded
 * says whether a backend's fused op left adv + i ky q2 in nl_spec[0] and no q2 (backend.h
 * fold_q2) */
static int nonlinear_products(dashi_les *s, dashi_field *w, double *nu_t_mean, bool *folded,
                              double *diag) {
  const struct dashi_backend_ops *ops = s->b->ops;
  int nd = s->cfg.sgs_on ? (s->cfg.sgs_form == DASHI_SGS_FORM_LAP ? 7 : 6) : 4;
  int nn = s->cfg.sgs_on ? (s->cfg.sgs_form == DASHI_SGS_FORM_LAP ? 2 : 3) : 1;
  dashi_sgs_params sp = sgs_params(s);
  s->b->fft_band_in = band_in(s, w);
  if (folded) *folded = false;
  if (!nu_t_mean && ops->nonlinear_products) {
    s->b->fft_band_out = band_out(s);
    if (folded && nn == 3) /* one forward transform fewer (with diag q2 comes too) */
      sp.fold_q2 = *folded = true, nn = diag ? 3 : 2;
    sp.diag = diag;
    int rc = ops->nonlinear_products(s->b, &sp, w, nd, deriv_ops, s->sd, nn, s->nl_spec);
    s->b->fft_band_in = s->b->fft_band_out = 0;
    return rc;
  }
  int rc = ops->spec_derive(s->b, w, nd, deriv_ops, s->sd);
  if (!rc) rc = ops->fft_inverse(s->b, nd, s->sd, s->rl);
  s->b->fft_band_in = 0;
  if (!rc) rc = ops->nonlinear_pointwise(s->b, &sp, s->rl, s->nl_real, nu_t_mean);
  s->b->fft_band_out = band_out(s);
  if (!rc) rc = ops->fft_forward(s->b, nn, s->nl_real, s->nl_spec);
  s->b->fft_band_out = 0;
  return rc;
}

static int tendency(dashi_les *s, const dashi_tend_params *p, dashi_field *w, dashi_field *rhs) {
  return s->b->ops->spec_tendency(s->b, p, w, s->nl_spec[0], s->nl_spec[1],
                                  p->q2_in_adv ? NULL : s->nl_spec[2], s->force, rhs);
}

/* the SGS + viscous + drag tendency of w from its products in nl_spec (q1, q2: never folded) */
static int dissipative_of_products(dashi_les *s, dashi_field *w, dashi_field *out) {
  dashi_tend_params q = tend_params(s);
  q.with_adv = q.with_force = false;
  return tendency(s, &q, w, out);
}

/* the SGS + viscous + drag tendency of the state (out) with r[0..2] = max|u|, max|v|, <nu_t>
 * (unfused ops: products with nu_t_mean, then two real_maxabs) */
static int dissipative_tendency(dashi_les *s, dashi_field *out, double r[3]) {
  const struct dashi_backend_ops *ops = s->b->ops;
  DASHI_CALL(nonlinear_products(s, s->w, &r[2], NULL, NULL));
  DASHI_CALL(ops->real_maxabs(s->b, s->rl[0], &r[0]));
  DASHI_CALL(ops->real_maxabs(s->b, s->rl[1], &r[1]));
  return dissipative_of_products(s, s->w, out);
}

/* A record's terms of the state: r[0..2] = max|u|, max|v|, <nu_t> and r[3] = <w T_diss>, with
 * T_diss its SGS + viscous + drag tendency (in s->scratch). Where the backend fuses the products
 * they reduce the first three themselves (diag), and nl_spec then holds the state's products as
 * the step's right-hand side takes them (*q2_in_adv: nonlinear_products' folded); else the
 * unfused ops. One way for a record that rides on a step and one that does not: their values are
 * the same, bit for bit. */
static int record_terms(dashi_les *s, double r[4], bool *q2_in_adv) {
  *q2_in_adv = false;
  if (!s->b->ops->nonlinear_products)
    DASHI_CALL(dissipative_tendency(s, s->scratch, r));
  else {
    DASHI_CALL(nonlinear_products(s, s->w, NULL, q2_in_adv, r));
    DASHI_CALL(dissipative_of_products(s, s->w, s->scratch));
  }
  return s->b->ops->spec_dot(s->b, s->w, s->scratch, &r[3]);
}

int dashi_les_record_terms(dashi_les *s, double r[4]) {
  bool folded;
  return record_terms(s, r, &folded);
}

/* the right-hand side of the state with a diagnostics record riding on it (dashi_les_step_diag):
 * the same products and tendency as without (rhs bit for bit), and from them the record's terms
 * r[0..3] (record_terms) */
static int rhs_with_diag(dashi_les *s, dashi_field *w, dashi_field *rhs, dashi_tend_params *p,
                         double r[4]) {
  DASHI_CALL(record_terms(s, r, &p->q2_in_adv));
  return tendency(s, p, w, rhs);
}

int dashi_les_rhs(dashi_les *s, dashi_field *w, dashi_field *rhs) {
  PetscLogEventBegin(dashi_ev_rhs, 0, 0, 0, 0);
  dashi_tend_params p = tend_params(s);
  double *ride = w == s->w ? s->diag_ride : NULL;
  int rc;
  if (ride) {
    s->diag_ride = NULL;
    rc = rhs_with_diag(s, w, rhs, &p, ride);
  } else {
    rc = nonlinear_products(s, w, NULL, &p.q2_in_adv, NULL);
    if (!rc) rc = tendency(s, &p, w, rhs);
  }
  s->rhs_evals++;
  PetscLogEventEnd(dashi_ev_rhs, 0, 0, 0, 0);
  return rc;
}

int dashi_les_rhs_term(dashi_les *s, dashi_field *w, const char *term, dashi_field *out) {
  dashi_tend_params p = tend_params(s);
  p.with_adv = !strcmp(term, "adv");
  p.with_sgs = !strcmp(term, "sgs") && s->cfg.sgs_on;
  p.with_linear = !strcmp(term, "linear");
  p.with_force = !strcmp(term, "force") && s->force;
  if (!p.with_adv && !p.with_sgs && !p.with_linear && !p.with_force && strcmp(term, "sgs") &&
      strcmp(term, "force"))
    return dashi_err(DASHI_ERR_USAGE, "unknown right-hand-side term '%s'", term);
  DASHI_CALL(nonlinear_products(s, w, NULL, NULL, NULL));
  return tendency(s, &p, w, out);
}

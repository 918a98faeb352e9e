/* Solver object: configuration from options, field allocation, solver_spec provenance. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/les.h"

int dashi_les_config_from_options(const dashi_options *o, dashi_les_config *c) {
  memset(c, 0, sizeof *c);
  c->N = (int)dashi_opt_i(o, "N");
  c->dt = dashi_opt_r(o, "dt");
  c->nu0 = dashi_opt_r(o, "nu0");
  c->drag = dashi_opt_r(o, "drag");
  c->Cs = dashi_opt_r(o, "Cs");
  c->sgs_on = !strcmp(dashi_opt_s(o, "sgs"), "smagorinsky");
  c->sgs_form =
      !strcmp(dashi_opt_s(o, "sgs_form"), "lap") ? DASHI_SGS_FORM_LAP : DASHI_SGS_FORM_DIV;
  const char *dl = dashi_opt_s(o, "dealias");
  c->dealias.kind = !strcmp(dl, "none")  ? DASHI_DEALIAS_NONE
                    : !strcmp(dl, "exp") ? DASHI_DEALIAS_EXP
                                         : DASHI_DEALIAS_TWOTHIRDS;
  c->dealias.alpha = dashi_opt_r(o, "trunc_alpha");
  c->dealias.power = dashi_opt_r(o, "trunc_power");
  const char *ts = dashi_opt_s(o, "ts");
  c->ts = !strcmp(ts, "rk4")      ? DASHI_TS_RK4
          : !strcmp(ts, "ssprk3") ? DASHI_TS_SSPRK3
                                  : DASHI_TS_RK2;
  const char *fo = dashi_opt_s(o, "forcing");
  c->forcing = !strcmp(fo, "kolmogorov") ? DASHI_FORCING_KOLMOGOROV
               : !strcmp(fo, "ring")     ? DASHI_FORCING_RING
                                         : DASHI_FORCING_NONE;
  c->forcing_amp = dashi_opt_r(o, "forcing_amp");
  c->kf = dashi_opt_r(o, "kf");
  c->forcing_dk = dashi_opt_r(o, "forcing_dk");
  c->forcing_eps = dashi_opt_r(o, "forcing_eps");
  c->seed = (uint64_t)dashi_opt_i(o, "seed");
  const char *ic = dashi_opt_s(o, "ic");
  c->ic = !strcmp(ic, "file")           ? DASHI_IC_FILE
          : !strcmp(ic, "taylor_green") ? DASHI_IC_TAYLOR_GREEN
                                        : DASHI_IC_RANDOM;
  c->k0 = dashi_opt_r(o, "k0");
  c->tg_k = (int)dashi_opt_i(o, "tg_k");
  snprintf(c->ic_file, sizeof c->ic_file, "%s", dashi_opt_s(o, "ic_file"));
  snprintf(c->ic_dataset, sizeof c->ic_dataset, "%s", dashi_opt_s(o, "ic_dataset"));
  c->cfl_max = dashi_opt_r(o, "cfl_max");

  if (!(c->dt > 0))
    return dashi_err(DASHI_ERR_USAGE, "-dt %g: the time step must be positive", c->dt);
  if (c->nu0 < 0 || c->drag < 0 || c->Cs < 0)
    return dashi_err(DASHI_ERR_USAGE, "-nu0, -drag and -Cs must be non-negative");
  if (c->ic == DASHI_IC_FILE && !c->ic_file[0])
    return dashi_err(DASHI_ERR_USAGE, "-ic file needs -ic_file PATH");
  if (c->forcing == DASHI_FORCING_KOLMOGOROV && c->kf != floor(c->kf))
    return dashi_err(DASHI_ERR_USAGE, "-kf %g: Kolmogorov forcing needs an integer wavenumber",
                     c->kf);
  if (c->forcing == DASHI_FORCING_RING && (c->kf - c->forcing_dk < 1 || c->forcing_eps < 0))
    return dashi_err(
        DASHI_ERR_USAGE,
        "ring forcing needs kf - forcing_dk >= 1 and forcing_eps >= 0 (got kf=%g dk=%g eps=%g)",
        c->kf, c->forcing_dk, c->forcing_eps);
  if (!(c->cfl_max > 0)) return dashi_err(DASHI_ERR_USAGE, "-cfl_max must be positive");
  return 0;
}

int dashi_les_config_default(int N, dashi_les_config *c) {
  dashi_options o;
  char n[32];
  snprintf(n, sizeof n, "%d", N);
  int rc = dashi_options_defaults(DASHI_CMD_TRUTH, &o);
  if (!rc) rc = dashi_opt_put(&o, "N", n);
  if (!rc) rc = dashi_les_config_from_options(&o, c);
  dashi_options_free(&o);
  return rc;
}

static int nderiv(const dashi_les_config *c) {
  return c->sgs_on ? (c->sgs_form == DASHI_SGS_FORM_LAP ? 7 : 6) : 4;
}
static int nnonlin(const dashi_les_config *c) {
  return c->sgs_on ? (c->sgs_form == DASHI_SGS_FORM_LAP ? 2 : 3) : 1;
}
int dashi_les_ffts_per_rhs(const dashi_les *s) {
  return nderiv(&s->cfg) + nnonlin(&s->cfg);
}
int dashi_les_rhs_per_step(const dashi_les *s) {
  return s->cfg.ts == DASHI_TS_RK4 ? 4 : s->cfg.ts == DASHI_TS_SSPRK3 ? 3 : 2;
}

/* Kolmogorov forcing F = -A kf cos(kf y): only the modes (0, +-kf); forward FFT of cos(kf y) is
 * N^2/2 at ky = kf on the half plane. */
static int make_kolmogorov(dashi_les *s) {
  const dashi_grid *g = s->g;
  int kf = (int)s->cfg.kf;
  if (kf <= 0 || 2 * kf >= g->N)
    return dashi_err(DASHI_ERR_USAGE, "-kf %d is outside 1..N/2-1 for N=%d", kf, g->N);
  DASHI_CALL(s->b->ops->field_create(s->b, DASHI_FIELD_SPEC, &s->force));
  double *canon = calloc((size_t)2 * g->nky * g->N, sizeof *canon);
  if (kf >= g->ky0 && kf < g->ky0 + g->nky)
    canon[2 * ((size_t)(kf - g->ky0) * g->N + 0)] =
        -s->cfg.forcing_amp * kf * 0.5 * g->N * (double)g->N;
  int rc = s->b->ops->spec_put(s->b, s->force, canon);
  free(canon);
  return rc;
}

/* White-in-time ring forcing, applied as a kick sqrt(dt) sigma xi after each step. With
 * <|xi|^2> = 1 per mode, the expected energy gain per step is dt sigma^2/(2 N^4) sum_shell 1/|k|^2
 * (full plane), so sigma^2 = 2 eps N^4 / sum_shell 1/|k|^2 injects energy at rate eps. */
static int ring_amplitude(dashi_les *s) {
  const dashi_grid *g = s->g;
  double sum = 0;
  int kmax = (int)ceil(s->cfg.kf + s->cfg.forcing_dk);
  if (kmax >= g->N / 3)
    return dashi_err(DASHI_ERR_USAGE, "ring forcing shell (kf+dk=%d) must lie below N/3=%d", kmax,
                     g->N / 3);
  for (int ky = -kmax; ky <= kmax; ky++)
    for (int kx = -kmax; kx <= kmax; kx++) {
      double k = sqrt((double)kx * kx + (double)ky * ky);
      if (k > 0 && k >= s->cfg.kf - s->cfg.forcing_dk && k <= s->cfg.kf + s->cfg.forcing_dk)
        sum += 1.0 / (k * k);
    }
  if (sum == 0) return dashi_err(DASHI_ERR_USAGE, "ring forcing shell contains no wavenumber");
  double n4 = (double)g->N * g->N * (double)g->N * g->N;
  s->ring_amp = sqrt(s->cfg.dt) * sqrt(2.0 * s->cfg.forcing_eps * n4 / sum);
  return 0;
}

/* the solver's fields (local: a device may run out of memory on some ranks only) */
static int make_fields(dashi_les *s) {
  const dashi_les_config *c = &s->cfg;
  dashi_backend *b = s->b;
  const struct dashi_backend_ops *ops = b->ops;
  DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->w));
  DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->tmp));
  DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->scratch));
  for (int i = 0; i < dashi_les_rhs_per_step(s); i++)
    DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->stage[i]));
  for (int i = 0; i < nderiv(c); i++) {
    DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->sd[i]));
    DASHI_CALL(ops->field_create(b, DASHI_FIELD_REAL, &s->rl[i]));
  }
  for (int i = 0; i < nnonlin(c); i++) {
    DASHI_CALL(ops->field_create(b, DASHI_FIELD_REAL, &s->nl_real[i]));
    DASHI_CALL(ops->field_create(b, DASHI_FIELD_SPEC, &s->nl_spec[i]));
  }
  return 0;
}

int dashi_les_create(const dashi_les_config *c, const dashi_grid *g, dashi_backend *b,
                     dashi_les **out) {
  dashi_les *s = calloc(1, sizeof *s);
  s->cfg = *c;
  s->g = g;
  s->b = b;
  *out = s;
  /* every rank stops where one has no room (the forcing below is collective) */
  DASHI_CALL(dashi_err_agree(g->comm, make_fields(s)));
  if (c->forcing == DASHI_FORCING_KOLMOGOROV) DASHI_CALL(make_kolmogorov(s));
  if (c->forcing == DASHI_FORCING_RING) DASHI_CALL(ring_amplitude(s));
  return 0;
}

void dashi_les_destroy(dashi_les *s) {
  if (!s) return;
  dashi_backend *b = s->b;
  dashi_field *all[] = {s->w,        s->tmp,      s->scratch,  s->force,
                        s->stage[0], s->stage[1], s->stage[2], s->stage[3]};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) b->ops->field_destroy(b, all[i]);
  for (int i = 0; i < 7; i++)
    b->ops->field_destroy(b, s->sd[i]), b->ops->field_destroy(b, s->rl[i]);
  for (int i = 0; i < 3; i++)
    b->ops->field_destroy(b, s->nl_real[i]), b->ops->field_destroy(b, s->nl_spec[i]);
  free(s);
}

char *dashi_les_solver_spec_json(const dashi_les_config *c, bool single) {
  static const char *ts[] = {"rk2_heun", "ssprk3", "rk4"};
  static const char *dl[] = {"none", "2/3", "exp"};
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "gradients", "spectral");
  cJSON_AddStringToObject(j, "poisson",
                          "spectral: psi_hat = w_hat/|k|^2, u = dpsi/dy, v = -dpsi/dx");
  cJSON_AddStringToObject(j, "advection", "advective form -(u dw/dx + v dw/dy), pseudo-spectral");
  cJSON_AddStringToObject(j, "dealias", dl[c->dealias.kind]);
  if (c->dealias.kind == DASHI_DEALIAS_EXP) {
    cJSON_AddNumberToObject(j, "trunc_alpha", c->dealias.alpha);
    cJSON_AddNumberToObject(j, "trunc_power", c->dealias.power);
  }
  cJSON_AddStringToObject(j, "sgs", c->sgs_on ? "smagorinsky" : "none");
  cJSON_AddStringToObject(j, "sgs_form", c->sgs_form == DASHI_SGS_FORM_LAP ? "lap" : "div");
  cJSON_AddStringToObject(j, "time_integrator", ts[c->ts]);
  cJSON_AddStringToObject(j, "precision", single ? "single" : "double");
  cJSON_AddStringToObject(j, "fft_normalization", "forward unnormalized, inverse 1/N^2");
  cJSON_AddStringToObject(j, "nyquist", "zeroed");
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

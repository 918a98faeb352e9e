/* dashi validate: the CPU backend against another backend (by default -backend vulkan) on one
 * state. Every term of the right-hand side (adv, sgs, linear, force, and the whole rhs) side by
 * side in real space -- relative L2, max |difference|, Pearson correlation -- then a short run of
 * -validate_steps steps on both, compared field by field and in E, Z, P. Exit status non-zero
 * (DASHI_ERR_NUMERICS) when a term or the run is beyond tolerance (or not finite).
 *
 * Tolerances (-validate_tol 0 = automatic): in double 1e-12 relative L2 for the terms and 1e-10
 * for the run. In single the reference's own fp32 round-off grows with N (transform errors are
 * spread evenly over the modes, and the SGS term lives at high k), so the CPU also runs in double
 * and each comparison may deviate by up to 4 times the CPU's single-vs-double distance ("fp32
 * floor"), at least 2e-6 for a term and 2e-4 for the run: the candidate must be as accurate as
 * fp32 allows. -validate_tol T sets T for the terms and 100 T for the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "app.h"
#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/les.h"
#include "dashi/log.h"

typedef struct {
  const char *name;
  dashi_backend *b;
  dashi_les *s;
  double *slab;
  double ms_per_step;
} vside;

typedef struct {
  double rel, maxdiff, maxref, corr;
} vstats;

static int open_side(const dashi_grid *g, const dashi_options *o, const dashi_les_config *cfg,
                     const char *name, bool single, vside *v) {
  dashi_backend_config bc = {.name = name,
                             .single = single,
                             .fftw_flags = FFTW_ESTIMATE,
                             .vk_device = (int)dashi_opt_i(o, "vk_device")};
  v->name = name;
  v->slab = malloc(sizeof(double) * (size_t)g->nx * g->N + 1);
  DASHI_CALL(dashi_backend_create(g, &bc, &v->b));
  return dashi_les_create(cfg, g, v->b, &v->s);
}

static void close_side(vside *v) {
  dashi_les_destroy(v->s);
  dashi_backend_destroy(v->b);
  free(v->slab);
}

/* real-space comparison of the two slabs, reduced over the ranks */
static int compare(const dashi_grid *g, const double *x, const double *ref, vstats *st) {
  size_t n = (size_t)g->nx * g->N;
  double loc[7] = {0}, tot[7], mx[2] = {0, 0}, gmx[2];
  for (size_t k = 0; k < n; k++) {
    double d = x[k] - ref[k];
    loc[0] += d * d, loc[1] += ref[k] * ref[k];
    loc[2] += x[k], loc[3] += ref[k], loc[4] += x[k] * x[k], loc[5] += x[k] * ref[k];
    if (!(fabs(d) <= mx[0])) mx[0] = fabs(d); /* keeps NaN */
    mx[1] = fmax(mx[1], fabs(ref[k]));
  }
  loc[6] = isnan(mx[0]) ? 1 : 0;
  DASHI_MPI(MPI_Allreduce(loc, tot, 7, MPI_DOUBLE, MPI_SUM, g->comm));
  DASHI_MPI(MPI_Allreduce(mx, gmx, 2, MPI_DOUBLE, MPI_MAX, g->comm));
  double cnt = (double)g->N * g->N;
  st->rel = tot[1] > 0 ? sqrt(tot[0] / tot[1]) : sqrt(tot[0]);
  st->maxdiff = tot[6] > 0 ? NAN : gmx[0];
  st->maxref = gmx[1];
  double cxy = tot[5] - tot[2] * tot[3] / cnt, cxx = tot[4] - tot[2] * tot[2] / cnt,
         cyy = tot[1] - tot[3] * tot[3] / cnt;
  st->corr = cxx > 0 && cyy > 0 ? cxy / sqrt(cxx * cyy) : (tot[0] == 0 ? 1.0 : NAN);
  if (tot[6] > 0 || isnan(tot[0])) st->rel = NAN;
  return 0;
}

/* term (or the whole rhs when term is NULL) of the state, in real space on the host */
static int term_slab(vside *v, const char *term) {
  dashi_les *s = v->s;
  if (term)
    DASHI_CALL(dashi_les_rhs_term(s, s->w, term, s->scratch));
  else
    DASHI_CALL(dashi_les_rhs(s, s->w, s->scratch));
  DASHI_CALL(v->b->ops->fft_inverse(v->b, 1, &s->scratch, &s->rl[0]));
  return v->b->ops->real_get(v->b, s->rl[0], v->slab);
}

static bool within(const vstats *st, double tol) {
  return st->rel <= tol && st->corr == st->corr;
}

/* tolerance of one comparison: fixed, or (single, automatic) from the CPU's fp32 floor */
typedef struct {
  double fixed, min, floor_factor;
  vside *ref64; /* CPU in double (single precision, automatic tolerance), else NULL */
} vtol;

static void row(MPI_Comm comm, const char *name, const vstats *st, double tol, double floor) {
  char fl[32] = "";
  if (floor >= 0) snprintf(fl, sizeof fl, " %11.2e", floor);
  dashi_log(comm, "  %-10s %10.2e %12.3e %12.4e %14.12f%s %9.1e  %s\n", name, st->rel, st->maxdiff,
            st->maxref, st->corr, fl, tol, within(st, tol) ? "ok" : "FAIL");
}

/* compare cand with ref (slabs already filled), print, count; the fp32 floor from ref64's slab */
static int judge(const dashi_grid *g, MPI_Comm comm, const char *name, vside *ref, vside *cand,
                 const vtol *vt, double scale, int *fails) {
  vstats st, fl = {.rel = -1};
  DASHI_CALL(compare(g, cand->slab, ref->slab, &st));
  double tol = vt->fixed * scale;
  if (vt->ref64) {
    DASHI_CALL(compare(g, ref->slab, vt->ref64->slab, &fl));
    tol = fmax(vt->min * scale, vt->floor_factor * fl.rel);
  }
  row(comm, name, &st, tol, fl.rel);
  *fails += !within(&st, tol);
  return 0;
}

static int initial_state(const dashi_grid *g, const dashi_options *o, const dashi_les_config *cfg,
                         vside *ref, double *canon) {
  if (cfg->ic == DASHI_IC_FILE) {
    bool is_spec;
    const char *ds = dashi_opt_set(o, "ic_dataset") ? cfg->ic_dataset : NULL;
    DASHI_CALL(dashi_read_vorticity(cfg->ic_file, ds, g, ref->slab, canon, &is_spec));
    if (is_spec)
      DASHI_CALL(dashi_les_set_state_spec(ref->s, canon));
    else
      DASHI_CALL(dashi_les_set_state_slab(ref->s, ref->slab));
  } else {
    DASHI_CALL(dashi_les_init_state(ref->s));
  }
  return ref->b->ops->spec_get(ref->b, ref->s->w, canon);
}

static int run_steps(vside *v, int64_t steps) {
  double t0 = dashi_wtime();
  for (int64_t i = 0; i < steps; i++) DASHI_CALL(dashi_les_step(v->s));
  DASHI_CALL(v->b->ops->sync(v->b));
  v->ms_per_step = steps ? 1e3 * (dashi_wtime() - t0) / (double)steps : 0.0;
  return dashi_les_omega_slab(v->s, v->slab);
}

static int validate(MPI_Comm comm, dashi_options *o, vside *side, int *fails) {
  vside *ref = &side[0], *cand = &side[1], *ref64 = &side[2];
  dashi_grid g;
  dashi_les_config cfg;
  DASHI_CALL(dashi_les_config_from_options(o, &cfg));
  DASHI_CALL(dashi_grid_create(comm, cfg.N, &g));
  bool single = !strcmp(dashi_opt_s(o, "precision"), "single");
  double user = dashi_opt_r(o, "validate_tol");
  vtol vt = {.fixed = user > 0 ? user : 1e-12, .min = 2e-6, .floor_factor = 4.0};
  int64_t steps = dashi_opt_i(o, "validate_steps");
  const char *cname = dashi_opt_set(o, "backend") ? dashi_opt_s(o, "backend") : "vulkan";
  DASHI_CALL(open_side(&g, o, &cfg, "cpu", single, ref));
  DASHI_CALL(open_side(&g, o, &cfg, cname, single, cand));
  if (single && !(user > 0)) {
    DASHI_CALL(open_side(&g, o, &cfg, "cpu", false, ref64));
    vt.ref64 = ref64;
  }
  double *canon = malloc(sizeof(double) * 2 * (size_t)g.nky * g.N + 1);
  int rc = initial_state(&g, o, &cfg, ref, canon);
  if (!rc) rc = dashi_les_set_state_spec(cand->s, canon);
  if (!rc && vt.ref64) rc = dashi_les_set_state_spec(ref64->s, canon); /* exact: fp32 values */
  free(canon);
  DASHI_CALL(rc);
  dashi_log(comm,
            "dashi validate: %s against the CPU reference, N=%d, %s, %d rank(s), sgs %s (%s), "
            "dealias %s\n  reference: %s\n  candidate: %s; %s\n",
            cname, g.N, single ? "single" : "double", g.size, cfg.sgs_on ? "smagorinsky" : "none",
            cfg.sgs_form == DASHI_SGS_FORM_LAP ? "lap" : "div", dashi_opt_s(o, "dealias"),
            ref->b->fft_library, cand->b->fft_library, cand->b->devices);
  if (vt.ref64)
    dashi_log(comm, "  tolerance: max(2e-6 (run: 2e-4), 4 x fp32 floor); fp32 floor = the CPU's "
                    "single-vs-double distance\n");
  dashi_log(
      comm,
      "\nright-hand side on the initial state (real space)\n  %-10s %10s %12s %12s %14s%s %9s\n",
      "term", "rel L2", "max |diff|", "max |cpu|", "correlation", vt.ref64 ? "  fp32 floor" : "",
      "tolerance");
  static const char *terms[] = {"adv", "sgs", "linear", "force", NULL};
  static const char *labels[] = {"adv", "sgs", "linear", "force", "rhs"};
  for (int t = 0; t < 5; t++) {
    DASHI_CALL(term_slab(ref, terms[t]));
    DASHI_CALL(term_slab(cand, terms[t]));
    if (vt.ref64) DASHI_CALL(term_slab(ref64, terms[t]));
    DASHI_CALL(judge(&g, comm, labels[t], ref, cand, &vt, 1.0, fails));
  }
  /* a run that the CFL limit would stop compares two blow-ups: say so instead (found at N = 4096
   * with the default dt, where both backends reached NaN) */
  dashi_les_diag d0;
  DASHI_CALL(dashi_les_diagnostics(ref->s, &d0));
  if (steps > 0 && !(d0.cfl <= cfg.cfl_max))
    return dashi_err(DASHI_ERR_USAGE,
                     "validate: the initial CFL number %.3g exceeds -cfl_max %g (N=%d, dt=%g): "
                     "the %lld-step run would blow up on both backends. Remedy: lower -dt (e.g. "
                     "-dt %.2g), or -validate_steps 0 to compare the terms only",
                     d0.cfl, cfg.cfl_max, g.N, cfg.dt, (long long)steps,
                     cfg.dt * 0.5 * cfg.cfl_max / d0.cfl);
  DASHI_CALL(run_steps(ref, steps));
  DASHI_CALL(run_steps(cand, steps));
  if (vt.ref64) DASHI_CALL(run_steps(ref64, steps));
  dashi_log(comm, "\nafter %lld steps of dt=%g\n", (long long)steps, cfg.dt);
  DASHI_CALL(judge(&g, comm, "omega", ref, cand, &vt, 100.0, fails));
  dashi_les_diag dr, dc;
  DASHI_CALL(dashi_les_diagnostics(ref->s, &dr));
  DASHI_CALL(dashi_les_diagnostics(cand->s, &dc));
  double q[3][2] = {{dr.E, dc.E}, {dr.Z, dc.Z}, {dr.P, dc.P}};
  static const char *qn[3] = {"E", "Z", "P"};
  double tol_q = 100 * (vt.ref64 ? vt.min : vt.fixed);
  for (int i = 0; i < 3; i++) {
    double e = fabs(q[i][1] - q[i][0]) / fmax(fabs(q[i][0]), 1e-300);
    dashi_log(comm, "  %-10s cpu %.15g  %s %.15g  rel %.1e (tolerance %.0e)  %s\n", qn[i], q[i][0],
              cname, q[i][1], e, tol_q, e <= tol_q ? "ok" : "FAIL");
    *fails += !(e <= tol_q);
  }
  dashi_log(comm, "  time       cpu %.3f ms/step, %s %.3f ms/step\n", ref->ms_per_step, cname,
            cand->ms_per_step);
  return 0;
}

int dashi_cmd_validate(MPI_Comm world, dashi_options *o) {
  vside side[3] = {{0}}; /* CPU reference, candidate, CPU in double (single: fp32 floor) */
  int fails = 0;
  int rc = dashi_err_agree(world, validate(world, o, side, &fails));
  for (int i = 2; i >= 0; i--) close_side(&side[i]);
  if (rc) return rc;
  if (fails)
    return dashi_err(DASHI_ERR_NUMERICS,
                     "validate: %d comparison(s) beyond tolerance (see the "
                     "table above)",
                     fails);
  dashi_log(world, "\ndashi validate: all comparisons within tolerance\n");
  return 0;
}

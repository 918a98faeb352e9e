/* Temporal convergence order on a nonlinear case (SPEC §2 time stepping): random initial condition,
 * N = 32, Smagorinsky (div form), t_end = T fixed. Each integrator runs with dt = T/n for several
 * n; its error is the spectral L2 distance of the final state to a reference computed with rk4 and
 * dt = T/2048, relative to the reference's norm. The fitted slope of log(error) against log(dt)
 * must be the order of the scheme within +-0.3: rk2 (Heun) 2, ssprk3 3, rk4 4. The dt ranges are
 * chosen so that the largest dt is in the asymptotic range and the smallest error stays at least
 * 100 times above the reference's own error. */
#include "test_util.h"

static const double T = 1.0;

static double *run(dashi_ts_kind ts, int nsteps, tu_solver *keep) {
  dashi_les_config c = tu_default_config(32);
  c.ts = ts;
  c.dt = T / nsteps;
  c.k0 = 6;
  c.nu0 = 1e-3;
  tu_solver t;
  tu_solver_create(MPI_COMM_WORLD, &c, &t);
  TU_OK(dashi_les_init_state(t.s));
  for (int n = 0; n < nsteps; n++) TU_OK(dashi_les_step(t.s));
  double *state = tu_state(&t);
  if (keep)
    *keep = t;
  else
    tu_solver_destroy(&t);
  return state;
}

/* least-squares slope of y against x */
static double slope(int n, const double *x, const double *y) {
  double mx = 0, my = 0, sxy = 0, sxx = 0;
  for (int i = 0; i < n; i++) mx += x[i] / n, my += y[i] / n;
  for (int i = 0; i < n; i++) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxy / sxx;
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  static const char *name[] = {"rk2", "ssprk3", "rk4"};
  static const int nsteps[3][4] = {{16, 32, 64, 128}, {16, 32, 64, 128}, {8, 16, 32, 64}};
  tu_solver ref;
  double *wref = run(DASHI_TS_RK4, 2048, &ref);
  const dashi_grid *g = &ref.g;
  double nref = tu_spec_norm(g, wref);
  double *wref2 = run(DASHI_TS_RK4, 1024, NULL);
  double ref_err = tu_spec_dist(g, wref, wref2) / nref;
  tu_note("convergence: random IC (k0=6), N=32, Smagorinsky div, nu0=1e-3, T=%g, %d rank(s); "
          "reference rk4 dt=T/2048 (its own error ~ %.1e)\n",
          T, g->size, ref_err / 15);
  tu_check(isfinite(nref) && nref > 0, "reference state is finite and non-zero (|w_hat| = %g)",
           nref);
  for (int ts = 0; ts < 3; ts++) {
    double x[4], y[4];
    char line[256] = "";
    for (int i = 0; i < 4; i++) {
      double *w = run((dashi_ts_kind)ts, nsteps[ts][i], NULL);
      double e = tu_spec_dist(g, w, wref) / nref;
      x[i] = log(T / nsteps[ts][i]);
      y[i] = log(e);
      snprintf(line + strlen(line), sizeof line - strlen(line), " dt=T/%d: %.3e", nsteps[ts][i], e);
      free(w);
    }
    double p = slope(4, x, y), order = ts + 2.0;
    tu_note("  %-6s errors:%s\n", name[ts], line);
    tu_check(fabs(p - order) <= 0.3, "%-6s observed order %.3f (expected %g +- 0.3)", name[ts], p,
             order);
    tu_check(exp(y[3]) > 100 * ref_err / 15,
             "%-6s smallest error %.2e is well above the reference error", name[ts], exp(y[3]));
  }
  free(wref);
  free(wref2);
  tu_solver_destroy(&ref);
  return tu_finish("test_convergence");
}

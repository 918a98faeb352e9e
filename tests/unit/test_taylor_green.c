/* Taylor–Green vortex w = 2k sin(kx) sin(ky) with -sgs none (SPEC §2): the nonlinear term vanishes
 * (w is proportional to psi), so w(t) = w(0) exp(-(2 nu0 k^2 + mu) t) exactly. Run 200 steps of
 * dt = 0.01 with nu0 = 0.01 for k = 1 and 2 and every integrator:
 *  - rk4 and ssprk3 must match the exact solution to 1e-10 relative (their truncation errors are
 *    below 4e-12 here);
 *  - every integrator must match its own amplification factor R(-a dt)^200 (R the stability
 *    polynomial: 1+z+z^2/2 for Heun, + z^3/6 for SSP-RK3, + z^4/24 for RK4) to 1e-12, i.e. to
 *    round-off. Heun's distance to the exact solution (2.7e-10 for k = 1, 1.7e-8 for k = 2 at these
 *    parameters) is its O(dt^3) truncation error, which the 1e-10 bound does not allow
 *    for; it is printed, and checked to be exactly that truncation error. */
#include "test_util.h"

static double stability_poly(dashi_ts_kind ts, double z) {
  double r = 1 + z + z * z / 2;
  if (ts != DASHI_TS_RK2) r += z * z * z / 6;
  if (ts == DASHI_TS_RK4) r += z * z * z * z / 24;
  return r;
}

static void run_case(int k, dashi_ts_kind ts, double drag) {
  static const char *tsname[] = {"rk2", "ssprk3", "rk4"};
  const int steps = 200;
  dashi_les_config c = tu_default_config(32);
  c.ic = DASHI_IC_TAYLOR_GREEN;
  c.tg_k = k;
  c.sgs_on = false;
  c.nu0 = 0.01;
  c.dt = 0.01;
  c.drag = drag;
  c.ts = ts;
  tu_solver t;
  tu_solver_create(MPI_COMM_WORLD, &c, &t);
  TU_OK(dashi_les_init_state(t.s));
  for (int n = 0; n < steps; n++) TU_OK(dashi_les_step(t.s));
  const dashi_grid *g = &t.g;
  size_t n = (size_t)g->nx * g->N;
  double *w = malloc(sizeof(double) * n), *e = malloc(sizeof(double) * n);
  TU_OK(dashi_les_omega_slab(t.s, w));
  double a = 2 * c.nu0 * k * k + drag, T = t.s->time;
  double exact = exp(-a * T), discrete = pow(stability_poly(ts, -a * c.dt), steps);
  for (int i = 0; i < g->nx; i++)
    for (int j = 0; j < g->N; j++)
      e[(size_t)i * g->N + j] = 2.0 * k * sin(k * (g->x0 + i) * g->dx) * sin(k * j * g->dx);
  double amp = 2.0 * k; /* max |w(0)| */
  for (size_t m = 0; m < n; m++) e[m] *= exact;
  double err_exact = tu_maxdiff(g->comm, w, e, n) / (amp * exact);
  for (size_t m = 0; m < n; m++) e[m] *= discrete / exact;
  double err_disc = tu_maxdiff(g->comm, w, e, n) / (amp * discrete);
  double trunc = fabs(discrete - exact) / exact;
  tu_check(fabs(T - steps * c.dt) < 1e-12, "time after %d steps: %.15g", steps, T);
  tu_check(err_disc <= 1e-12, "TG k=%d %-6s mu=%g: w = w0 R(-a dt)^%d to %.2e (round-off)", k,
           tsname[ts], drag, steps, err_disc);
  if (ts != DASHI_TS_RK2)
    tu_check(err_exact <= 1e-10, "TG k=%d %-6s mu=%g: w = w0 exp(-(2 nu0 k^2 + mu) t) to %.2e", k,
             tsname[ts], drag, err_exact);
  else
    tu_check(fabs(err_exact - trunc) <= 1e-12,
             "TG k=%d %-6s mu=%g: distance to exp(-a t) %.2e = its truncation error %.2e", k,
             tsname[ts], drag, err_exact, trunc);
  free(w);
  free(e);
  tu_solver_destroy(&t);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  tu_note("Taylor-Green decay, N=32, nu0=0.01, dt=0.01, 200 steps, %d rank(s)\n", size);
  for (int k = 1; k <= 2; k++)
    for (int ts = DASHI_TS_RK2; ts <= DASHI_TS_RK4; ts++) run_case(k, (dashi_ts_kind)ts, 0.0);
  run_case(2, DASHI_TS_RK4, 0.05); /* linear drag adds mu to the decay rate */
  return tu_finish("test_taylor_green");
}

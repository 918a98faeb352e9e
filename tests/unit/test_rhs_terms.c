/* The right-hand-side terms of the solver against analytic values (SPEC §2), on 1 and 2 ranks:
 *  - advection -u.grad w with u = dpsi/dy, v = -dpsi/dx: for w = cos x + cos 2y it is
 *    +1.5 sin x sin 2y (a reversed flow gives the opposite sign);
 *  - the 2/3 dealiasing of the advection: for w = cos 6x + cos(6x+4y) (N = 32, cut |k| > 32/3)
 *    the exact term (12/117)[cos 4y - cos(12x+4y)] keeps only cos 4y; with -dealias none both;
 *  - the linear term -(nu0 |k|^2 + mu) w, the Kolmogorov forcing -A kf cos(kf y);
 *  - the Smagorinsky eddy viscosity nu_t = (Cs L/N)^2 2 sqrt(S11^2 + S12^2): for Taylor–Green
 *    w = 2 sin x sin y, |S| = 2 |cos x cos y|, so <nu_t> = 2 (Cs L/N)^2 (mean |cos x_i|)^2;
 *  - the Smagorinsky term itself, both forms, against SPEC §2's definition evaluated independently
 *    (analytic derivatives of a trigonometric state, a direct discrete Fourier sum, no FFT);
 *  - the dealiasing multiplier D(k) of both filters and the filtering of a real-space state. */
#include "test_util.h"

enum { N = 32 };
typedef double (*fn2)(double x, double y);

static double zero(double x, double y) {
  return 0;
}
static double w_a(double x, double y) {
  return cos(x) + cos(2 * y);
}
static double adv_a(double x, double y) {
  return 1.5 * sin(x) * sin(2 * y);
}
static double lin_a(double x, double y) {
  return -(0.01 + 0.1) * cos(x) - (0.04 + 0.1) * cos(2 * y);
}
static double w_b(double x, double y) {
  return cos(6 * x) + cos(6 * x + 4 * y);
}
static double adv_b_23(double x, double y) {
  return 12.0 / 117 * cos(4 * y);
}
static double adv_b_none(double x, double y) {
  return 12.0 / 117 * (cos(4 * y) - cos(12 * x + 4 * y));
}
static double force_k3(double x, double y) {
  return -2.0 * 3 * cos(3 * y);
}
static double w_tg(double x, double y) {
  return 2 * sin(x) * sin(y);
}
static double w_hi(double x, double y) {
  return cos(10 * x) + cos(11 * y) + cos(10 * x + 10 * y);
}
static double w_hi_kept(double x, double y) {
  return cos(10 * x) + cos(10 * x + 10 * y);
}

typedef struct {
  tu_solver t;
  dashi_field *spec, *real;
  double *slab;
} ctx;

static void ctx_open(ctx *c, const dashi_les_config *cfg) {
  tu_solver_create(MPI_COMM_WORLD, cfg, &c->t);
  TU_OK(c->t.b->ops->field_create(c->t.b, DASHI_FIELD_SPEC, &c->spec));
  TU_OK(c->t.b->ops->field_create(c->t.b, DASHI_FIELD_REAL, &c->real));
  c->slab = malloc(sizeof(double) * (size_t)c->t.g.nx * N);
}
static void ctx_close(ctx *c) {
  c->t.b->ops->field_destroy(c->t.b, c->spec);
  c->t.b->ops->field_destroy(c->t.b, c->real);
  free(c->slab);
  tu_solver_destroy(&c->t);
}
static void sample(const dashi_grid *g, fn2 f, double *slab) {
  for (int i = 0; i < g->nx; i++)
    for (int j = 0; j < N; j++) slab[(size_t)i * N + j] = f((g->x0 + i) * g->dx, j * g->dx);
}
static void set_state(ctx *c, fn2 w) {
  sample(&c->t.g, w, c->slab);
  TU_OK(dashi_les_set_state_slab(c->t.s, c->slab));
}
/* the real image of spectral field f on this rank's rows, in c->slab */
static const double *real_of(ctx *c, dashi_field *f) {
  TU_OK(c->t.b->ops->fft_inverse(c->t.b, 1, &f, &c->real));
  TU_OK(c->t.b->ops->real_get(c->t.b, c->real, c->slab));
  return c->slab;
}
/* max |real image of spectral field f - want| relative to max(1, max |want|) */
static double err_of(ctx *c, dashi_field *f, fn2 want) {
  const dashi_grid *g = &c->t.g;
  size_t n = (size_t)g->nx * N;
  double *e = malloc(sizeof(double) * n);
  real_of(c, f);
  sample(g, want, e);
  double d = tu_maxdiff(g->comm, c->slab, e, n) / fmax(1.0, tu_maxabs(g->comm, e, n));
  free(e);
  return d;
}
static double term_err(ctx *c, const char *term, fn2 want) {
  TU_OK(dashi_les_rhs_term(c->t.s, c->t.s->w, term, c->spec));
  return err_of(c, c->spec, want);
}

static void test_terms(void) {
  dashi_les_config cfg = tu_default_config(N);
  cfg.sgs_on = false;
  cfg.nu0 = 0.01;
  cfg.drag = 0.1;
  cfg.forcing = DASHI_FORCING_KOLMOGOROV;
  cfg.forcing_amp = 2;
  cfg.kf = 3;
  ctx c;
  ctx_open(&c, &cfg);
  set_state(&c, w_a);
  double e = term_err(&c, "adv", adv_a);
  tu_check(e <= 1e-14, "advection of cos x + cos 2y = +1.5 sin x sin 2y: err %.2e", e);
  e = term_err(&c, "linear", lin_a);
  tu_check(e <= 1e-14, "linear term -(nu0 k^2 + mu) w: err %.2e", e);
  e = term_err(&c, "force", force_k3);
  tu_check(e <= 1e-14, "Kolmogorov forcing -A kf cos(kf y), A=2, kf=3: err %.2e", e);
  e = term_err(&c, "sgs", zero);
  tu_check(e == 0, "-sgs none: the SGS term is exactly zero (max %g)", e);
  set_state(&c, w_b);
  e = term_err(&c, "adv", adv_b_23);
  tu_check(e <= 1e-14, "2/3-dealiased advection keeps (0,4), drops (12,4): err %.2e", e);
  ctx_close(&c);

  cfg.dealias.kind = DASHI_DEALIAS_NONE;
  ctx_open(&c, &cfg);
  set_state(&c, w_b);
  e = term_err(&c, "adv", adv_b_none);
  tu_check(e <= 1e-14, "advection without dealiasing keeps (12,4) too: err %.2e", e);
  ctx_close(&c);
}

static void test_smagorinsky_nu_t(void) {
  dashi_les_config cfg = tu_default_config(N);
  cfg.nu0 = 0;
  ctx c;
  ctx_open(&c, &cfg);
  set_state(&c, w_tg);
  dashi_les_diag d;
  TU_OK(dashi_les_diagnostics(c.t.s, &d));
  double mc = 0, delta = 2 * M_PI / N;
  for (int i = 0; i < N; i++) mc += fabs(cos(i * delta)) / N;
  double want = 2 * pow(cfg.Cs * delta, 2) * mc * mc;
  double e = fabs(d.nu_t_mean - want) / want;
  tu_check(e <= 1e-13, "<nu_t> on Taylor-Green = 2 (Cs L/N)^2 (mean|cos|)^2 = %.10g: rel err %.2e",
           want, e);
  /* div form is enstrophy-dissipative: diss_Z = <nu_t |grad w|^2> > 0 (nu0 = 0, no drag) */
  tu_check(d.diss_Z > 0, "div-form SGS dissipates enstrophy on Taylor-Green: diss_Z = %.6g",
           d.diss_Z);
  ctx_close(&c);
}

/* ω = sum a cos(kx x + ky y + ph): a state inside the 2/3 band (|kx|, |ky| <= 10 at N = 32) */
typedef struct {
  double a, kx, ky, ph;
} tmode;
static const tmode modes[] = {
    {1.0, 1, 2, 0.3}, {0.7, 3, -1, 1.1}, {0.4, 5, 4, -0.7}, {0.25, -2, 7, 2.0}, {0.1, 9, -10, 0.5}};
enum { NMODES = sizeof modes / sizeof modes[0] };
static double w_modes(double x, double y) {
  double w = 0;
  for (int m = 0; m < NMODES; m++)
    w += modes[m].a * cos(modes[m].kx * x + modes[m].ky * y + modes[m].ph);
  return w;
}

/* SPEC §2 at every grid point of the whole N x N grid, for the state w_modes: the fluxes q1, q2 of
 * the div form (nu_t dw/dx, nu_t dw/dy) or q1 = nu_t lap w (lap form), from the analytic
 * derivatives: psi = sum a/|k|^2 cos, u = dpsi/dy, v = -dpsi/dx, S11 = du/dx,
 * S12 = (du/dy + dv/dx)/2, nu_t = (Cs L/N)^2 2 sqrt(S11^2 + S12^2) */
static void sgs_fluxes(double Cs, bool lap, double *q1, double *q2) {
  double h = 2 * M_PI / N, cd2 = pow(Cs * h, 2);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double s11 = 0, s12 = 0, wx = 0, wy = 0, lw = 0;
      for (int m = 0; m < NMODES; m++) {
        const tmode *t = &modes[m];
        double k2 = t->kx * t->kx + t->ky * t->ky, th = t->kx * i * h + t->ky * j * h + t->ph;
        s11 += -t->a * t->kx * t->ky / k2 * cos(th);
        s12 += 0.5 * t->a * (t->kx * t->kx - t->ky * t->ky) / k2 * cos(th);
        wx += -t->a * t->kx * sin(th), wy += -t->a * t->ky * sin(th), lw += -t->a * k2 * cos(th);
      }
      double nut = cd2 * 2 * sqrt(s11 * s11 + s12 * s12);
      q1[i * N + j] = nut * (lap ? lw : wx), q2[i * N + j] = nut * wy;
    }
}

/* the SGS term in real space on the whole grid: D(k) (i kx Q1 + i ky Q2) (div) or D(k) Q1 (lap),
 * Q = sum_x q e^(-i k.x) by direct summation, back with (1/N^2) sum_k e^(+i k.x) */
static void sgs_reference(const dashi_grid *g, const dashi_dealias *dl, bool lap, const double *q1,
                          const double *q2, double *out) {
  double h = 2 * M_PI / N;
  memset(out, 0, sizeof(double) * N * N);
  for (int kx = -N / 2; kx < N / 2; kx++)
    for (int ky = -N / 2; ky < N / 2; ky++) {
      double D = dashi_dealias_factor(g, dl, kx, ky);
      if (D == 0) continue;
      double r1 = 0, i1 = 0, r2 = 0, i2 = 0;
      for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
          double th = (kx * i + ky * j) * h, c = cos(th), s = sin(th);
          r1 += q1[i * N + j] * c, i1 -= q1[i * N + j] * s;
          r2 += q2[i * N + j] * c, i2 -= q2[i * N + j] * s;
        }
      /* T = D (i kx Q1 + i ky Q2), or D Q1 */
      double tr = lap ? r1 : -kx * i1 - ky * i2, ti = lap ? i1 : kx * r1 + ky * r2;
      for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
          double th = (kx * i + ky * j) * h;
          out[i * N + j] += D * (tr * cos(th) - ti * sin(th)) / ((double)N * N);
        }
    }
}

static void test_smagorinsky_term(void) {
  const dashi_sgs_form forms[2] = {DASHI_SGS_FORM_DIV, DASHI_SGS_FORM_LAP};
  double *q1 = malloc(sizeof(double) * N * N), *q2 = malloc(sizeof(double) * N * N);
  double *want = malloc(sizeof(double) * N * N);
  for (int f = 0; f < 2; f++) {
    dashi_les_config cfg = tu_default_config(N);
    cfg.sgs_form = forms[f];
    cfg.Cs = 0.3;
    bool lap = forms[f] == DASHI_SGS_FORM_LAP;
    ctx c;
    ctx_open(&c, &cfg);
    set_state(&c, w_modes);
    sgs_fluxes(cfg.Cs, lap, q1, q2);
    sgs_reference(&c.t.g, &cfg.dealias, lap, q1, q2, want);
    TU_OK(dashi_les_rhs_term(c.t.s, c.t.s->w, "sgs", c.spec));
    const dashi_grid *g = &c.t.g;
    size_t n = (size_t)g->nx * N;
    const double *mine = want + (size_t)g->x0 * N; /* this rank's rows */
    double e = tu_maxdiff(g->comm, real_of(&c, c.spec), mine, n) / tu_maxabs(g->comm, mine, n);
    tu_check(e <= 1e-12,
             "Smagorinsky term, %s form, Cs = 0.3, 2/3 dealiased, against SPEC's definition "
             "evaluated directly (max |SGS| %.3g): rel err %.2e",
             lap ? "lap" : "div", tu_maxabs(g->comm, mine, n), e);
    ctx_close(&c);
  }
  free(q1), free(q2), free(want);
}

static void test_dealias_factor(void) {
  dashi_grid g;
  TU_OK(dashi_grid_create(MPI_COMM_WORLD, N, &g));
  dashi_dealias two = {DASHI_DEALIAS_TWOTHIRDS, 36, 8}, ex = {DASHI_DEALIAS_EXP, 36, 8},
                no = {DASHI_DEALIAS_NONE, 0, 0};
  bool ok23 =
      dashi_dealias_factor(&g, &two, 10, -10) == 1 && dashi_dealias_factor(&g, &two, 11, 0) == 0 &&
      dashi_dealias_factor(&g, &two, 0, 11) == 0 && dashi_dealias_factor(&g, &two, -10, 3) == 1;
  tu_check(ok23, "2/3 rule: D = 1 for |kx|,|ky| <= 10, 0 beyond (N = 32)");
  double d8 = dashi_dealias_factor(&g, &ex, 8, 0), want = exp(-36 * pow(0.5, 8));
  bool okex = fabs(d8 - want) <= 1e-15 && dashi_dealias_factor(&g, &ex, 12, 12) == 0 &&
              dashi_dealias_factor(&g, &ex, 15, 0) > 0;
  tu_check(okex, "exp filter: D(8) = exp(-36 (8/16)^8) = %.15g (got %.15g), 0 for |k| >= 16", want,
           d8);
  bool okny =
      dashi_dealias_factor(&g, &no, 16, 0) == 0 && dashi_dealias_factor(&g, &no, 3, 16) == 0 &&
      dashi_dealias_factor(&g, &no, -16, 2) == 0 && dashi_dealias_factor(&g, &no, 15, 15) == 1;
  tu_check(okny, "every filter is 0 on Nyquist modes, 'none' is 1 elsewhere");
  /* a state set from real space passes through the filter */
  dashi_les_config cfg = tu_default_config(N);
  ctx c;
  ctx_open(&c, &cfg);
  set_state(&c, w_hi);
  double e = err_of(&c, c.t.s->w, w_hi_kept);
  tu_check(e <= 1e-14, "state from real space is 2/3-filtered: cos 11y removed, err %.2e", e);
  ctx_close(&c);
}

/* Nyquist modes stay exactly zero in the state, even without a dealiasing filter and with ring
 * forcing (the stored kx = N/2 column of the canonical layout; ky = N/2 is not stored) */
static void test_nyquist_stays_zero(void) {
  dashi_les_config cfg = tu_default_config(N);
  cfg.dealias.kind = DASHI_DEALIAS_NONE;
  cfg.forcing = DASHI_FORCING_RING;
  cfg.ts = DASHI_TS_RK4;
  tu_solver t;
  tu_solver_create(MPI_COMM_WORLD, &cfg, &t);
  TU_OK(dashi_les_init_state(t.s));
  for (int n = 0; n < 20; n++) TU_OK(dashi_les_step(t.s));
  double *c = tu_state(&t), col = 0;
  for (int a = 0; a < t.g.nky; a++)
    col =
        fmax(col, fabs(c[2 * ((size_t)a * N + N / 2)]) + fabs(c[2 * ((size_t)a * N + N / 2) + 1]));
  col = tu_max(t.g.comm, col);
  double norm = tu_spec_norm(&t.g, c);
  tu_check(col == 0 && norm > 0, "20 rk4 steps, -dealias none, ring forcing: kx = N/2 modes are %g",
           col);
  free(c);
  tu_solver_destroy(&t);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  test_terms();
  test_nyquist_stays_zero();
  test_smagorinsky_nu_t();
  test_smagorinsky_term();
  test_dealias_factor();
  return tu_finish("test_rhs_terms");
}

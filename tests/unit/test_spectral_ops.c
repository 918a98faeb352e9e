/* Spectral operators of the CPU backend on trigonometric polynomials (SPEC §2), run on 1, 2 and 4
 * ranks: FFT normalization (forward unnormalized, inverse 1/N^2) and round trips, Nyquist modes,
 * derivatives / Poisson inversion / velocity / strain against analytic derivatives, the sign
 * convention u = dpsi/dy, v = -dpsi/dx, w = dv/dx - du/dy, and the spectral moments, dot product,
 * max and shell spectrum against real-space sums. With the argument "single" the same checks run on
 * the single-precision backend with every tolerance multiplied by 1e8. */
#include "dashi/rng.h"
#include "test_util.h"

enum { N = 32 };
static dashi_grid g;
static dashi_backend *be;
static const struct dashi_backend_ops *ops;
/* tolerance multiplier: 1 in double; 1e8 in single (eps 6e-8 instead of 1.1e-16, with margin) */
static double tol = 1;

typedef double (*fn2)(double x, double y);

/* f = sin(3x) cos(2y) + cos(x + 4y) and its analytic images; psi = f/|k|^2 mode by mode */
static double A(double x, double y) {
  return sin(3 * x) * cos(2 * y);
} /* |k|^2 = 13 */
static double B(double x, double y) {
  return cos(x + 4 * y);
} /* |k|^2 = 17 */
static double f_w(double x, double y) {
  return A(x, y) + B(x, y);
}
static double f_dx(double x, double y) {
  return 3 * cos(3 * x) * cos(2 * y) - sin(x + 4 * y);
}
static double f_dy(double x, double y) {
  return -2 * sin(3 * x) * sin(2 * y) - 4 * sin(x + 4 * y);
}
static double f_lap(double x, double y) {
  return -13 * A(x, y) - 17 * B(x, y);
}
static double f_psi(double x, double y) {
  return A(x, y) / 13 + B(x, y) / 17;
}
static double f_u(double x, double y) { /* dpsi/dy */
  return -2 * sin(3 * x) * sin(2 * y) / 13 - 4 * sin(x + 4 * y) / 17;
}
static double f_v(double x, double y) { /* -dpsi/dx */
  return -3 * cos(3 * x) * cos(2 * y) / 13 + sin(x + 4 * y) / 17;
}
static double f_s11(double x, double y) { /* du/dx = psi_xy */
  return -6 * cos(3 * x) * sin(2 * y) / 13 - 4 * B(x, y) / 17;
}
static double f_s12(double x, double y) { /* (psi_yy - psi_xx)/2 */
  return 0.5 * (5 * A(x, y) / 13 - 15 * B(x, y) / 17);
}
/* psi = sin x sin y: w = 2 sin x sin y, u = sin x cos y, v = -cos x sin y */
static double tg_psi(double x, double y) {
  return sin(x) * sin(y);
}
static double tg_w(double x, double y) {
  return 2 * sin(x) * sin(y);
}
static double tg_u(double x, double y) {
  return sin(x) * cos(y);
}
static double tg_v(double x, double y) {
  return -cos(x) * sin(y);
}
/* content on Nyquist modes only: (-1)^i, (-1)^j, (-1)^i cos(3y), sin(2x)(-1)^j */
static double nyq(double x, double y) {
  double h = N / 2.0;
  return cos(h * x) + 0.5 * cos(h * y) + cos(h * x) * cos(3 * y) + sin(2 * x) * cos(h * y);
}

static size_t nreal(void) {
  return (size_t)g.nx * N;
}
static size_t nspec(void) {
  return (size_t)2 * g.nky * N;
}

static void sample(fn2 f, double *slab) {
  for (int i = 0; i < g.nx; i++)
    for (int j = 0; j < N; j++) slab[(size_t)i * N + j] = f((g.x0 + i) * g.dx, j * g.dx);
}

static dashi_field *field(dashi_field_kind k) {
  dashi_field *f;
  TU_OK(ops->field_create(be, k, &f));
  return f;
}

/* max |field - f| relative to max(1, max |f|), over the global grid */
static double real_err(dashi_field *r, fn2 f, double *scale_out) {
  double *a = malloc(sizeof(double) * nreal()), *e = malloc(sizeof(double) * nreal());
  TU_OK(ops->real_get(be, r, a));
  sample(f, e);
  double scale = fmax(1.0, tu_maxabs(g.comm, e, nreal()));
  double d = tu_maxdiff(g.comm, a, e, nreal()) / scale;
  if (scale_out) *scale_out = scale;
  free(a);
  free(e);
  return d;
}

static double *canon_of(dashi_field *s) {
  double *c = malloc(sizeof(double) * nspec() + 1);
  TU_OK(ops->spec_get(be, s, c));
  return c;
}

/* the canonical slot of global mode (kx, ky) on this rank, or NULL */
static double *mode(double *c, int kx, int ky) {
  if (ky < g.ky0 || ky >= g.ky0 + g.nky) return NULL;
  int b = kx >= 0 ? kx : kx + N;
  return c + 2 * ((size_t)(ky - g.ky0) * N + b);
}

static void test_forward_normalization(void) {
  dashi_field *r = field(DASHI_FIELD_REAL), *s = field(DASHI_FIELD_SPEC),
              *r2 = field(DASHI_FIELD_REAL);
  double *slab = malloc(sizeof(double) * nreal());
  sample(f_w, slab);
  TU_OK(ops->real_put(be, r, slab));
  TU_OK(ops->fft_forward(be, 1, &r, &s));
  double *c = canon_of(s), *e = calloc(nspec() + 1, sizeof(double)), n2 = (double)N * N, *z;
  /* sin(3x)cos(2y) -> -i/4 at (3,2), +i/4 at (-3,2); cos(x+4y) -> 1/2 at (1,4); times N^2 */
  if ((z = mode(e, 3, 2))) z[1] = -n2 / 4;
  if ((z = mode(e, -3, 2))) z[1] = n2 / 4;
  if ((z = mode(e, 1, 4))) z[0] = n2 / 2;
  double d = tu_maxdiff(g.comm, c, e, nspec()) / n2;
  tu_check(d <= tol * 1e-15,
           "forward FFT unnormalized: coefficients = N^2 x analytic, max err %.2e N^2", d);
  TU_OK(ops->fft_inverse(be, 1, &s, &r2));
  d = real_err(r2, f_w, NULL);
  tu_check(d <= tol * 1e-14, "round trip real -> spec -> real (inverse scaled 1/N^2): max err %.2e",
           d);
  free(slab);
  free(c);
  free(e);
  ops->field_destroy(be, r), ops->field_destroy(be, r2), ops->field_destroy(be, s);
}

/* random band-limited Hermitian spectrum: every mode with |k| < kmax, keyed by the global mode */
static void random_spectrum(double *c, double kmax, uint32_t salt) {
  memset(c, 0, sizeof(double) * nspec());
  for (int a = 0; a < g.nky; a++) {
    int ky = g.ky0 + a;
    for (int b = 0; b < N; b++) {
      int kx = dashi_kx(&g, b);
      if (sqrt((double)kx * kx + ky * ky) >= kmax || dashi_is_nyquist(&g, kx, ky)) continue;
      int ckx = ky == 0 && kx < 0 ? -kx : kx;
      double xi[2];
      dashi_gauss2(12345, 99, (uint64_t)ky << 32 | (uint32_t)ckx, salt, xi);
      double *z = c + 2 * ((size_t)a * N + b);
      z[0] = N * xi[0];
      z[1] = ky == 0 && kx == 0 ? 0.0 : (ky == 0 && kx < 0 ? -1.0 : 1.0) * N * xi[1];
    }
  }
}

static void test_spectral_round_trip_and_nyquist(void) {
  dashi_field *r = field(DASHI_FIELD_REAL), *s = field(DASHI_FIELD_SPEC),
              *s2 = field(DASHI_FIELD_SPEC);
  double *c = malloc(sizeof(double) * nspec() + 1);
  random_spectrum(c, 1e9, 0); /* every non-Nyquist mode */
  TU_OK(ops->spec_put(be, s, c));
  TU_OK(ops->fft_inverse(be, 1, &s, &r));
  TU_OK(ops->fft_forward(be, 1, &r, &s2));
  double *c2 = canon_of(s2), scale = tu_maxabs(g.comm, c, nspec());
  double d = tu_maxdiff(g.comm, c, c2, nspec()) / scale;
  tu_check(d <= tol * 1e-14,
           "round trip spec -> real -> spec, full non-Nyquist spectrum: max err %.2e", d);

  /* the real image of any spectral field has no Nyquist content: alternating sums vanish */
  double *slab = malloc(sizeof(double) * nreal()), *colsum = calloc(N, sizeof(double));
  double *colall = malloc(sizeof(double) * N), rowmax = 0, fmax_ = tu_maxabs(g.comm, c, nspec());
  TU_OK(ops->real_get(be, r, slab));
  for (int i = 0; i < g.nx; i++) {
    double rs = 0;
    for (int j = 0; j < N; j++) {
      double x = slab[(size_t)i * N + j];
      rs += (j % 2 ? -x : x);
      colsum[j] += ((g.x0 + i) % 2 ? -x : x);
    }
    rowmax = fmax(rowmax, fabs(rs));
  }
  MPI_Allreduce(colsum, colall, N, MPI_DOUBLE, MPI_SUM, g.comm);
  double colmax = tu_maxabs(MPI_COMM_SELF, colall, N);
  rowmax = tu_max(g.comm, rowmax);
  /* a Nyquist amplitude a contributes N*a to these sums; the field scale is fmax/N^2 */
  double nq = fmax(rowmax, colmax) / N / (fmax_ / ((double)N * N));
  tu_check(nq <= tol * 1e-13,
           "inverse FFT output has zero Nyquist content (kx = N/2, ky = N/2): %.2e", nq);

  /* forward of a field living only on Nyquist modes is zero */
  sample(nyq, slab);
  TU_OK(ops->real_put(be, r, slab));
  TU_OK(ops->fft_forward(be, 1, &r, &s));
  double *cn = canon_of(s), zmax = tu_maxabs(g.comm, cn, nspec()) / ((double)N * N);
  tu_check(zmax <= tol * 1e-15, "forward FFT of pure Nyquist content is zero: max %.2e N^2", zmax);

  /* spec_put keeps the stored kx = N/2 column at zero */
  for (size_t m = 0; m < nspec(); m++) c[m] = 1.0;
  TU_OK(ops->spec_put(be, s, c));
  free(cn);
  cn = canon_of(s);
  double colv = 0;
  for (int a = 0; a < g.nky; a++)
    colv = fmax(colv,
                fabs(cn[2 * ((size_t)a * N + N / 2)]) + fabs(cn[2 * ((size_t)a * N + N / 2) + 1]));
  colv = tu_max(g.comm, colv);
  tu_check(colv == 0.0, "spec_put zeroes the kx = N/2 column (got %g)", colv);
  free(c), free(c2), free(slab), free(colsum), free(colall), free(cn);
  ops->field_destroy(be, r), ops->field_destroy(be, s), ops->field_destroy(be, s2);
}

static void test_derivatives(void) {
  static const dashi_spec_op op[9] = {DASHI_OP_COPY, DASHI_OP_DX,  DASHI_OP_DY,
                                      DASHI_OP_LAP,  DASHI_OP_PSI, DASHI_OP_U,
                                      DASHI_OP_V,    DASHI_OP_S11, DASHI_OP_S12};
  static const char *name[9] = {"copy",         "d/dx",          "d/dy",
                                "laplacian",    "psi (Poisson)", "u = dpsi/dy",
                                "v = -dpsi/dx", "S11 = du/dx",   "S12 = (du/dy + dv/dx)/2"};
  static const fn2 want[9] = {f_w, f_dx, f_dy, f_lap, f_psi, f_u, f_v, f_s11, f_s12};
  dashi_field *r = field(DASHI_FIELD_REAL), *s = field(DASHI_FIELD_SPEC), *d[9], *o[9];
  for (int k = 0; k < 9; k++) d[k] = field(DASHI_FIELD_SPEC), o[k] = field(DASHI_FIELD_REAL);
  double *slab = malloc(sizeof(double) * nreal());
  sample(f_w, slab);
  TU_OK(ops->real_put(be, r, slab));
  TU_OK(ops->fft_forward(be, 1, &r, &s));
  TU_OK(ops->spec_derive(be, s, 5, op, d)); /* the CPU backend takes at most 8 per call */
  TU_OK(ops->spec_derive(be, s, 4, op + 5, d + 5));
  TU_OK(ops->fft_inverse(be, 5, d, o));
  TU_OK(ops->fft_inverse(be, 4, d + 5, o + 5));
  for (int k = 0; k < 9; k++) {
    double scale, e = real_err(o[k], want[k], &scale);
    tu_check(e <= tol * 1e-13, "%-24s on sin(3x)cos(2y)+cos(x+4y): max err %.2e (scale %.3g)",
             name[k], e, scale);
  }
  free(slab);
  for (int k = 0; k < 9; k++) ops->field_destroy(be, d[k]), ops->field_destroy(be, o[k]);
  ops->field_destroy(be, r), ops->field_destroy(be, s);
}

static void test_sign_convention(void) {
  static const dashi_spec_op op[3] = {DASHI_OP_PSI, DASHI_OP_U, DASHI_OP_V};
  dashi_field *r = field(DASHI_FIELD_REAL), *s = field(DASHI_FIELD_SPEC), *d[3], *o[3];
  for (int k = 0; k < 3; k++) d[k] = field(DASHI_FIELD_SPEC), o[k] = field(DASHI_FIELD_REAL);
  double *slab = malloc(sizeof(double) * nreal());
  sample(tg_w, slab);
  TU_OK(ops->real_put(be, r, slab));
  TU_OK(ops->fft_forward(be, 1, &r, &s));
  TU_OK(ops->spec_derive(be, s, 3, op, d));
  TU_OK(ops->fft_inverse(be, 3, d, o));
  double e0 = real_err(o[0], tg_psi, NULL), e1 = real_err(o[1], tg_u, NULL),
         e2 = real_err(o[2], tg_v, NULL);
  tu_check(e0 <= tol * 1e-14, "w = 2 sin x sin y -> psi = sin x sin y: err %.2e", e0);
  tu_check(e1 <= tol * 1e-14, "w = 2 sin x sin y -> u = sin x cos y: err %.2e", e1);
  tu_check(e2 <= tol * 1e-14, "w = 2 sin x sin y -> v = -cos x sin y: err %.2e", e2);
  /* back: w = dv/dx - du/dy from the real velocity */
  dashi_field *uh = field(DASHI_FIELD_SPEC), *vh = field(DASHI_FIELD_SPEC);
  dashi_field *vx = field(DASHI_FIELD_SPEC), *uy = field(DASHI_FIELD_SPEC),
              *wr = field(DASHI_FIELD_REAL);
  dashi_spec_op dx = DASHI_OP_DX, dy = DASHI_OP_DY;
  TU_OK(ops->fft_forward(be, 1, &o[1], &uh));
  TU_OK(ops->fft_forward(be, 1, &o[2], &vh));
  TU_OK(ops->spec_derive(be, vh, 1, &dx, &vx));
  TU_OK(ops->spec_derive(be, uh, 1, &dy, &uy));
  double cf[2] = {1.0, -1.0};
  dashi_field *src[2] = {vx, uy};
  TU_OK(ops->spec_lincomb(be, vx, 2, cf, src));
  TU_OK(ops->fft_inverse(be, 1, &vx, &wr));
  double e3 = real_err(wr, tg_w, NULL);
  tu_check(e3 <= tol * 1e-14, "dv/dx - du/dy of that velocity = w: err %.2e", e3);
  free(slab);
  dashi_field *all[] = {r, s, d[0], d[1], d[2], o[0], o[1], o[2], uh, vh, vx, uy, wr};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) ops->field_destroy(be, all[k]);
}

static double mean_sq(dashi_field *r) {
  double *a = malloc(sizeof(double) * nreal()), s = 0;
  TU_OK(ops->real_get(be, r, a));
  for (size_t k = 0; k < nreal(); k++) s += a[k] * a[k];
  free(a);
  return tu_sum(g.comm, s) / ((double)N * N);
}

static void test_moments_and_shells(void) {
  static const dashi_spec_op op[5] = {DASHI_OP_COPY, DASHI_OP_U, DASHI_OP_V, DASHI_OP_DX,
                                      DASHI_OP_DY};
  dashi_field *s = field(DASHI_FIELD_SPEC), *d[5], *o[5];
  for (int k = 0; k < 5; k++) d[k] = field(DASHI_FIELD_SPEC), o[k] = field(DASHI_FIELD_REAL);
  double *c = malloc(sizeof(double) * nspec() + 1), *Ek = malloc(sizeof(double) * (N / 2 + 1));
  random_spectrum(c, N / 2.0, 1); /* band-limited to |k| < N/2: includes ky = 0 and kx < 0 */
  TU_OK(ops->spec_put(be, s, c));
  TU_OK(ops->spec_derive(be, s, 5, op, d));
  TU_OK(ops->fft_inverse(be, 5, d, o));
  double m[3], dot, mx, ex[3];
  TU_OK(ops->spec_moments(be, s, m));
  TU_OK(ops->spec_dot(be, s, s, &dot));
  TU_OK(ops->real_maxabs(be, o[0], &mx));
  ex[0] = 0.5 * (mean_sq(o[1]) + mean_sq(o[2]));
  ex[1] = 0.5 * mean_sq(o[0]);
  ex[2] = 0.5 * (mean_sq(o[3]) + mean_sq(o[4]));
  static const char *nm[3] = {"E = 1/2<u^2+v^2>", "Z = 1/2<w^2>", "P = 1/2<|grad w|^2>"};
  for (int k = 0; k < 3; k++) {
    double e = fabs(m[k] - ex[k]) / ex[k];
    tu_check(e <= tol * 1e-13, "spec_moments %-20s = %.15g vs real space: rel err %.2e", nm[k],
             m[k], e);
  }
  double ed = fabs(dot - 2 * ex[1]) / (2 * ex[1]);
  tu_check(ed <= tol * 1e-13, "spec_dot(w, w) = <w^2>: rel err %.2e", ed);
  double *slab = malloc(sizeof(double) * nreal());
  TU_OK(ops->real_get(be, o[0], slab));
  double mx2 = tu_maxabs(g.comm, slab, nreal());
  tu_check(mx == mx2, "real_maxabs = global max |w| (%.15g vs %.15g)", mx, mx2);

  TU_OK(ops->spec_shells(be, s, Ek));
  double sum = 0;
  for (int k = 0; k <= N / 2; k++) sum += Ek[k];
  double es = fabs(sum - m[0]) / m[0];
  tu_check(es <= tol * 1e-13, "shell spectrum sums to E when no energy is beyond N/2: rel err %.2e",
           es);

  /* one mode (3, 4): all its energy in shell 5 */
  memset(c, 0, sizeof(double) * nspec());
  double *z = mode(c, 3, 4);
  if (z) z[0] = 100, z[1] = -50;
  TU_OK(ops->spec_put(be, s, c));
  TU_OK(ops->spec_shells(be, s, Ek));
  TU_OK(ops->spec_moments(be, s, m));
  double off = 0;
  for (int k = 0; k <= N / 2; k++)
    if (k != 5) off = fmax(off, fabs(Ek[k]));
  tu_check(fabs(Ek[5] - m[0]) <= tol * 1e-15 * m[0] && off == 0,
           "mode (3,4) lands in shell 5: E5 = %.15g, E = %.15g, elsewhere max %g", Ek[5], m[0],
           off);
  /* a corner mode |k| = 15 sqrt 2 > N/2 + 1/2 is outside every shell: the sum misses its energy */
  if ((z = mode(c, 15, 15))) z[0] = 300;
  if ((z = mode(c, -15, 15))) z[1] = 200;
  double e5 = m[0];
  TU_OK(ops->spec_put(be, s, c));
  TU_OK(ops->spec_shells(be, s, Ek));
  TU_OK(ops->spec_moments(be, s, m));
  sum = 0;
  for (int k = 0; k <= N / 2; k++) sum += Ek[k];
  double ecorner = 0.5 * 2 * (300.0 * 300 + 200.0 * 200) / (450.0 * (double)N * N * N * N);
  tu_check(fabs(sum - e5) <= tol * 1e-15 * e5 && fabs(m[0] - e5 - ecorner) <= tol * 1e-14 * m[0],
           "energy beyond N/2 (corner modes) is in E (%.6g) but in no shell (sum %.6g)", m[0], sum);
  free(c), free(Ek), free(slab);
  for (int k = 0; k < 5; k++) ops->field_destroy(be, d[k]), ops->field_destroy(be, o[k]);
  ops->field_destroy(be, s);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  TU_OK(dashi_grid_create(MPI_COMM_WORLD, N, &g));
  bool single = argc > 1 && !strcmp(argv[1], "single");
  dashi_backend_config bc = {
      .name = "cpu", .single = single, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  TU_OK(dashi_backend_create(&g, &bc, &be));
  ops = be->ops;
  tol = single ? 1e8 : 1;
  tu_check(be->single == single, "backend precision: %s", be->single ? "single" : "double");
  tu_note("spectral operators, N=%d on %d rank(s), %s precision\n", N, g.size,
          single ? "single" : "double");
  test_forward_normalization();
  test_spectral_round_trip_and_nyquist();
  test_derivatives();
  test_sign_convention();
  test_moments_and_shells();
  dashi_backend_destroy(be);
  return tu_finish("test_spectral_ops");
}

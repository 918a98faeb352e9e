/* Per-op parity of the Vulkan backend with the CPU backend (run on lavapipe in CI): every op of
 * backend.h on both backends from the same inputs (random, rank-count independent), compared in
 * relative L2 (<= 1e-12 in double, <= 2e-6 in single), and dashi_les_rhs_term for adv, sgs,
 * linear and force (both SGS forms, Kolmogorov forcing), a diagnostics record riding on a step
 * (dashi_les_step_diag). Exact where the op is exact: get/put
 * round trips, max|f|, the ring-forcing noise (bit for bit in double), the input of an inverse
 * FFT left untouched, NaN reported by real_maxabs.
 *
 *   test_vk_parity [double|single] [N] [fft]   (under mpiexec, any rank count dividing N/2;
 *   "fft": the transforms only, for sizes whose VkFFT plans take several passes on lavapipe,
 *   whose 32 KiB of shared memory hold 2048 double complex values) */
#include "dashi/vulkan.h"
#include "test_util.h"

static int N = 32;
static bool single;
static double tol;

typedef struct {
  dashi_backend *b;
  dashi_field *s[12], *r[12];
} side;

static dashi_grid G;
static side cpu, gpu;
static size_t nspec, nreal; /* local doubles of the canonical layouts */

/* rank-independent pseudo-random value of global point/mode (splitmix64) */
static double rnd(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

static void random_slab(uint64_t seed, double *slab) {
  for (int i = 0; i < G.nx; i++)
    for (int j = 0; j < N; j++) slab[(size_t)i * N + j] = rnd(seed, (uint64_t)(G.x0 + i) * N + j);
}

static void side_open(side *s, const char *name) {
  dashi_backend_config bc = {
      .name = name, .single = single, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  TU_OK(dashi_backend_create(&G, &bc, &s->b));
  for (int i = 0; i < 12; i++) {
    TU_OK(s->b->ops->field_create(s->b, DASHI_FIELD_SPEC, &s->s[i]));
    TU_OK(s->b->ops->field_create(s->b, DASHI_FIELD_REAL, &s->r[i]));
  }
}

static void side_close(side *s) {
  for (int i = 0; i < 12; i++) {
    s->b->ops->field_destroy(s->b, s->s[i]);
    s->b->ops->field_destroy(s->b, s->r[i]);
  }
  dashi_backend_destroy(s->b);
}

/* a random Hermitian spectral state with a smooth spectrum, canonical layout (from the CPU FFT of
 * a random real field, so that it is the transform of a real field) */
static void random_spec(uint64_t seed, double *canon) {
  double *slab = malloc(sizeof(double) * nreal);
  random_slab(seed, slab);
  TU_OK(cpu.b->ops->real_put(cpu.b, cpu.r[11], slab));
  TU_OK(cpu.b->ops->fft_forward(cpu.b, 1, &cpu.r[11], &cpu.s[11]));
  TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[11], canon));
  for (int a = 0; a < G.nky; a++)
    for (int b = 0; b < N; b++) {
      double kx = dashi_kx(&G, b), ky = G.ky0 + a, f = exp(-(kx * kx + ky * ky) / (N * N / 16.0));
      canon[2 * ((size_t)a * N + b)] *= f;
      canon[2 * ((size_t)a * N + b) + 1] *= f;
    }
  free(slab);
}

/* put the same spectral / real data into field i of both sides */
static void put_spec(int i, const double *canon) {
  TU_OK(cpu.b->ops->spec_put(cpu.b, cpu.s[i], canon));
  TU_OK(gpu.b->ops->spec_put(gpu.b, gpu.s[i], canon));
}
static void put_real(int i, const double *slab) {
  TU_OK(cpu.b->ops->real_put(cpu.b, cpu.r[i], slab));
  TU_OK(gpu.b->ops->real_put(gpu.b, gpu.r[i], slab));
}

static double rel_l2(const double *a, const double *b, size_t n, bool spec) {
  double d = 0, s = 0;
  for (size_t k = 0; k < n; k++) {
    double w = spec ? dashi_mode_weight(G.ky0 + (int)(k / (2 * (size_t)N))) : 1.0;
    d += w * (a[k] - b[k]) * (a[k] - b[k]);
    s += w * b[k] * b[k];
  }
  d = tu_sum(MPI_COMM_WORLD, d);
  s = tu_sum(MPI_COMM_WORLD, s);
  if (isnan(d)) return NAN;
  return s > 0 ? sqrt(d / s) : sqrt(d);
}

/* compare spectral field i (or real field i) of both sides */
static void cmp_field(bool spec, int i, const char *what) {
  size_t n = spec ? nspec : nreal;
  double *a = malloc(sizeof(double) * n), *b = malloc(sizeof(double) * n);
  if (spec) {
    TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[i], a));
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[i], b));
  } else {
    TU_OK(gpu.b->ops->real_get(gpu.b, gpu.r[i], a));
    TU_OK(cpu.b->ops->real_get(cpu.b, cpu.r[i], b));
  }
  double e = rel_l2(a, b, n, spec);
  tu_check(e <= tol, "%-40s rel L2 %.2e (tol %.0e)", what, e, tol);
  free(a);
  free(b);
}
static void cmp_spec(int i, const char *what) {
  cmp_field(true, i, what);
}
static void cmp_real(int i, const char *what) {
  cmp_field(false, i, what);
}
static void cmp_num(double g, double c, const char *what) {
  double e = fabs(g - c) / (fabs(c) > 0 ? fabs(c) : 1.0);
  tu_check(e <= tol, "%-40s gpu %.15g cpu %.15g rel %.1e", what, g, c, e);
}

static void test_get_put(void) {
  double *c = malloc(sizeof(double) * nspec), *a = malloc(sizeof(double) * nspec);
  double *b = malloc(sizeof(double) * nspec);
  random_spec(1, c);
  put_spec(0, c);
  TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[0], a));
  TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[0], b));
  tu_check(tu_maxdiff(MPI_COMM_WORLD, a, b, nspec) == 0, "spec_put/spec_get round trip exact");
  double *s = malloc(sizeof(double) * nreal), *t = malloc(sizeof(double) * nreal);
  random_slab(2, s);
  put_real(0, s);
  TU_OK(gpu.b->ops->real_get(gpu.b, gpu.r[0], t));
  TU_OK(cpu.b->ops->real_get(cpu.b, cpu.r[0], s));
  tu_check(tu_maxdiff(MPI_COMM_WORLD, s, t, nreal) == 0, "real_put/real_get round trip exact");
  free(c), free(a), free(b), free(s), free(t);
}

static void test_fft(void) {
  double *s = malloc(sizeof(double) * nreal), *c = malloc(sizeof(double) * nspec);
  double *c2 = malloc(sizeof(double) * nspec);
  for (int i = 0; i < 8; i++) random_slab(10 + i, s), put_real(i, s);
  dashi_field *cr[8], *cs[8], *gr[8], *gs[8];
  /* one field, a batch of neighbours, and a scattered set */
  int sets[3][8] = {{3}, {0, 1, 2}, {5, 0, 7, 6, 1, 2, 4, 3}}, lens[3] = {1, 3, 8};
  for (int t = 0; t < 3; t++) {
    for (int k = 0; k < lens[t]; k++) {
      int i = sets[t][k];
      cr[k] = cpu.r[i], cs[k] = cpu.s[i], gr[k] = gpu.r[i], gs[k] = gpu.s[i];
    }
    TU_OK(cpu.b->ops->fft_forward(cpu.b, lens[t], cr, cs));
    TU_OK(gpu.b->ops->fft_forward(gpu.b, lens[t], gr, gs));
    char what[64];
    for (int k = 0; k < lens[t]; k++) {
      snprintf(what, sizeof what, "fft_forward n=%d field %d", lens[t], sets[t][k]);
      cmp_spec(sets[t][k], what);
    }
  }
  /* inverse: from spectral states with energy everywhere, 6 at once and one alone */
  for (int i = 0; i < 8; i++) random_spec(20 + i, c), put_spec(i, c);
  for (int k = 0; k < 6; k++)
    cr[k] = cpu.r[k], cs[k] = cpu.s[k], gr[k] = gpu.r[k], gs[k] = gpu.s[k];
  TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[0], c));
  TU_OK(cpu.b->ops->fft_inverse(cpu.b, 6, cs, cr));
  TU_OK(gpu.b->ops->fft_inverse(gpu.b, 6, gs, gr));
  TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[0], c2));
  tu_check(tu_maxdiff(MPI_COMM_WORLD, c, c2, nspec) == 0, "fft_inverse leaves its input untouched");
  for (int k = 0; k < 6; k++) {
    char what[64];
    snprintf(what, sizeof what, "fft_inverse n=6 field %d", k);
    cmp_real(k, what);
  }
  TU_OK(cpu.b->ops->fft_inverse(cpu.b, 1, &cpu.s[7], &cpu.r[9]));
  TU_OK(gpu.b->ops->fft_inverse(gpu.b, 1, &gpu.s[7], &gpu.r[9]));
  cmp_real(9, "fft_inverse n=1");

  /* round trip on the GPU alone: inverse(forward(f)) = f */
  random_slab(40, s);
  put_real(10, s);
  TU_OK(gpu.b->ops->fft_forward(gpu.b, 1, &gpu.r[10], &gpu.s[10]));
  TU_OK(gpu.b->ops->fft_inverse(gpu.b, 1, &gpu.s[10], &gpu.r[10]));
  double *back = malloc(sizeof(double) * nreal);
  TU_OK(gpu.b->ops->real_get(gpu.b, gpu.r[10], back));
  /* the Nyquist modes of white noise are dropped: compare with the CPU's round trip */
  TU_OK(cpu.b->ops->fft_forward(cpu.b, 1, &cpu.r[10], &cpu.s[10]));
  TU_OK(cpu.b->ops->fft_inverse(cpu.b, 1, &cpu.s[10], &cpu.r[10]));
  TU_OK(cpu.b->ops->real_get(cpu.b, cpu.r[10], s));
  double e = rel_l2(back, s, nreal, false);
  tu_check(e <= tol, "%-40s rel L2 %.2e", "fft round trip (1/N^2 normalization)", e);
  free(s), free(c), free(c2), free(back);
}

/* DASHI_TEST_EXPECT: '|'-separated parts of fft_library that every rank's must contain, so that
 * a test named for a code path (the fused products, split exchanges, own x passes, the
 * composition, ...) fails if a setting or a size change moved it onto another path */
static void expect_paths(void) {
  const char *x = getenv("DASHI_TEST_EXPECT");
  while (x && *x) {
    size_t l = strcspn(x, "|");
    char part[160];
    snprintf(part, sizeof part, "%.*s", (int)l, x);
    int ok = strstr(gpu.b->fft_library, part) != NULL, all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    tu_check(all, "code path in use on every rank: \"%s\"", part);
    x += l + (x[l] == '|');
  }
  /* the description is whole on every rank (until session 16 a rank's two reasons against the
   * fused products could be cut at 256 characters: vulkan_parity_mixed_rows_np2) */
  size_t n = strlen(gpu.b->fft_library);
  int whole = n > 0 && n + 1 < sizeof gpu.b->fft_library && gpu.b->fft_library[n - 1] == ')',
      all = 0;
  MPI_Allreduce(&whole, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  tu_check(all, "fft_library is whole on every rank (%zu characters here)", n);
}

/* The solver's band hints (backend.h fft_band_in/out, K = N/3 with 2/3 dealiasing), as
 * src/les/rhs.c sets them: with zero-padded transforms (DASHI_VK_FFT, docs/vulkan.md) the GPU
 * reads and writes only the band, and what it leaves out must never matter. */
static void test_band(void) {
  int K = N / 3;
  dashi_dealias two = {.kind = DASHI_DEALIAS_TWOTHIRDS, .alpha = 36, .power = 8};
  const char *lib = gpu.b->fft_library;
  bool both = G.size == 1 && (strstr(lib, ", zeropad)") || strstr(lib, ", zeropad+") ||
                              strstr(lib, ", zeropad_xy"));
  bool none = G.size > 1 || strstr(lib, ", plain");
  if (getenv("DASHI_VK_FFT_SHARED_BYTES")) /* multi-pass plans: never zero-padded (vk_fft.c) */
    both = false, none = true;
  double *c = malloc(sizeof(double) * nspec), *junk = malloc(sizeof(double) * nspec);
  double *s = malloc(sizeof(double) * nreal);
  for (size_t k = 0; k < nspec; k++) junk[k] = NAN;
  /* derivatives of a band-limited field into fields holding NaN, inverse-transformed (6 at
   * once, as the solver does) */
  random_spec(60, c);
  put_spec(0, c);
  TU_OK(cpu.b->ops->spec_filter(cpu.b, &two, cpu.s[0]));
  TU_OK(gpu.b->ops->spec_filter(gpu.b, &two, gpu.s[0]));
  for (int i = 1; i <= 6; i++) TU_OK(gpu.b->ops->spec_put(gpu.b, gpu.s[i], junk));
  dashi_spec_op ops[6] = {DASHI_OP_U,  DASHI_OP_V,   DASHI_OP_DX,
                          DASHI_OP_DY, DASHI_OP_S11, DASHI_OP_S12};
  dashi_field *cd[6], *gd[6], *cr[6], *gr[6];
  for (int i = 0; i < 6; i++)
    cd[i] = cpu.s[i + 1], gd[i] = gpu.s[i + 1], cr[i] = cpu.r[i + 1], gr[i] = gpu.r[i + 1];
  gpu.b->fft_band_in = K;
  TU_OK(gpu.b->ops->spec_derive(gpu.b, gpu.s[0], 6, ops, gd));
  TU_OK(gpu.b->ops->fft_inverse(gpu.b, 6, gd, gr));
  gpu.b->fft_band_in = 0;
  TU_OK(cpu.b->ops->spec_derive(cpu.b, cpu.s[0], 6, ops, cd));
  TU_OK(cpu.b->ops->fft_inverse(cpu.b, 6, cd, cr));
  for (int i = 0; i < 6; i++) {
    char what[64];
    snprintf(what, sizeof what, "band: derive + fft_inverse n=6 field %d", i);
    cmp_real(i + 1, what);
  }
  /* an inverse under the hint of a field that is not band-limited: the band alone is read */
  random_spec(61, c);
  put_spec(9, c);
  gpu.b->fft_band_in = K;
  TU_OK(gpu.b->ops->fft_inverse(gpu.b, 1, &gpu.s[9], &gpu.r[9]));
  gpu.b->fft_band_in = 0;
  if (both) TU_OK(cpu.b->ops->spec_filter(cpu.b, &two, cpu.s[9]));
  if (both || none) {
    TU_OK(cpu.b->ops->fft_inverse(cpu.b, 1, &cpu.s[9], &cpu.r[9]));
    cmp_real(9, both ? "band: fft_inverse reads the band only" : "band: hint ignored (plain)");
  }
  /* forward transforms under the output hint into fields holding NaN: the tendency (through the
   * 2/3 filter) never sees what they leave out */
  for (int i = 0; i < 3; i++) {
    random_slab(70 + i, s), put_real(i, s);
    TU_OK(gpu.b->ops->spec_put(gpu.b, gpu.s[i], junk));
  }
  random_spec(73, c);
  put_spec(7, c);
  gpu.b->fft_band_out = K;
  TU_OK(gpu.b->ops->fft_forward(gpu.b, 3, gpu.r, gpu.s));
  gpu.b->fft_band_out = 0;
  TU_OK(cpu.b->ops->fft_forward(cpu.b, 3, cpu.r, cpu.s));
  dashi_tend_params tp = {.dealias = two,
                          .form = DASHI_SGS_FORM_DIV,
                          .nu0 = 1e-3,
                          .drag = 0.01,
                          .with_adv = true,
                          .with_sgs = true,
                          .with_linear = true};
  TU_OK(cpu.b->ops->spec_tendency(cpu.b, &tp, cpu.s[7], cpu.s[0], cpu.s[1], cpu.s[2], NULL,
                                  cpu.s[8]));
  TU_OK(gpu.b->ops->spec_tendency(gpu.b, &tp, gpu.s[7], gpu.s[0], gpu.s[1], gpu.s[2], NULL,
                                  gpu.s[8]));
  cmp_spec(8, "band: fft_forward n=3 + spec_tendency");
  double *g = malloc(sizeof(double) * nspec);
  for (int i = 0; i < 3; i++) { /* the band itself, compared on the host */
    TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[i], g));
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[i], c));
    for (int a = 0; a < G.nky; a++)
      for (int b = 0; b < N; b++)
        if (3 * abs(dashi_kx(&G, b)) > N || 3 * (G.ky0 + a) > N)
          for (int q = 0; q < 2; q++)
            g[2 * ((size_t)a * N + b) + q] = c[2 * ((size_t)a * N + b) + q] = 0;
    double e = rel_l2(g, c, nspec, true);
    tu_check(e <= tol, "%-40s rel L2 %.2e (tol %.0e)", "band: fft_forward n=3, in the band", e,
             tol);
  }
  free(c), free(junk), free(s), free(g);
}

static void test_derive(void) {
  double *c = malloc(sizeof(double) * nspec);
  random_spec(50, c);
  put_spec(0, c);
  dashi_spec_op ops[9] = {DASHI_OP_U,   DASHI_OP_V,   DASHI_OP_DX,  DASHI_OP_DY,  DASHI_OP_S11,
                          DASHI_OP_S12, DASHI_OP_LAP, DASHI_OP_PSI, DASHI_OP_COPY};
  static const char *names[9] = {"U", "V", "DX", "DY", "S11", "S12", "LAP", "PSI", "COPY"};
  dashi_field *cd[9], *gd[9];
  for (int i = 0; i < 9; i++) cd[i] = cpu.s[i + 1], gd[i] = gpu.s[i + 1];
  /* 8 at once (the most the ops allow; two dispatches on the GPU), then one */
  TU_OK(cpu.b->ops->spec_derive(cpu.b, cpu.s[0], 8, ops, cd));
  TU_OK(gpu.b->ops->spec_derive(gpu.b, gpu.s[0], 8, ops, gd));
  TU_OK(cpu.b->ops->spec_derive(cpu.b, cpu.s[0], 1, ops + 8, cd + 8));
  TU_OK(gpu.b->ops->spec_derive(gpu.b, gpu.s[0], 1, ops + 8, gd + 8));
  for (int i = 0; i < 9; i++) {
    char what[64];
    snprintf(what, sizeof what, "spec_derive %s", names[i]);
    cmp_spec(i + 1, what);
  }
  /* in place: dst == src */
  TU_OK(cpu.b->ops->spec_derive(cpu.b, cpu.s[0], 1, &ops[6], &cpu.s[0]));
  TU_OK(gpu.b->ops->spec_derive(gpu.b, gpu.s[0], 1, &ops[6], &gpu.s[0]));
  cmp_spec(0, "spec_derive LAP in place");
  free(c);
}

static void test_nonlinear(void) {
  double *s = malloc(sizeof(double) * nreal);
  for (int i = 0; i < 7; i++) random_slab(60 + i, s), put_real(i, s);
  static const char *forms[3] = {"none", "div", "lap"};
  for (int f = 0; f < 3; f++) {
    dashi_sgs_params p = {.smag = f ? 0.013 : 0.0,
                          .form = f == 2 ? DASHI_SGS_FORM_LAP : DASHI_SGS_FORM_DIV};
    dashi_field *ci[7], *gi[7], *co[3], *go[3];
    for (int i = 0; i < 7; i++) ci[i] = cpu.r[i], gi[i] = gpu.r[i];
    for (int i = 0; i < 3; i++) co[i] = cpu.r[7 + i], go[i] = gpu.r[7 + i];
    double mc = -1, mg = -2;
    TU_OK(cpu.b->ops->nonlinear_pointwise(cpu.b, &p, ci, co, &mc));
    TU_OK(gpu.b->ops->nonlinear_pointwise(gpu.b, &p, gi, go, &mg));
    char what[64];
    int nout = f == 0 ? 1 : f == 1 ? 3 : 2;
    for (int i = 0; i < nout; i++) {
      snprintf(what, sizeof what, "nonlinear_pointwise %s out[%d]", forms[f], i);
      cmp_real(7 + i, what);
    }
    snprintf(what, sizeof what, "nonlinear_pointwise %s <nu_t>", forms[f]);
    cmp_num(mg, mc, what);
    /* without the mean (no read-back) */
    TU_OK(gpu.b->ops->nonlinear_pointwise(gpu.b, &p, gi, go, NULL));
    snprintf(what, sizeof what, "nonlinear_pointwise %s (no mean) adv", forms[f]);
    cmp_real(7, what);
  }
  free(s);
}

static void test_tendency(void) {
  double *c = malloc(sizeof(double) * nspec);
  for (int i = 0; i < 5; i++) random_spec(70 + i, c), put_spec(i, c);
  struct {
    const char *what;
    dashi_dealias_kind dk;
    dashi_sgs_form form;
    bool adv, sgs, lin, force;
  } cases[] = {
      {"spec_tendency all, div, 2/3", DASHI_DEALIAS_TWOTHIRDS, DASHI_SGS_FORM_DIV, 1, 1, 1, 1},
      {"spec_tendency all, lap, exp", DASHI_DEALIAS_EXP, DASHI_SGS_FORM_LAP, 1, 1, 1, 1},
      {"spec_tendency adv+sgs, div, none", DASHI_DEALIAS_NONE, DASHI_SGS_FORM_DIV, 1, 1, 0, 0},
      {"spec_tendency linear only", DASHI_DEALIAS_TWOTHIRDS, DASHI_SGS_FORM_DIV, 0, 0, 1, 0},
      {"spec_tendency force only, exp", DASHI_DEALIAS_EXP, DASHI_SGS_FORM_DIV, 0, 0, 0, 1},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    dashi_tend_params p = {.dealias = {cases[k].dk, 36, 8},
                           .form = cases[k].form,
                           .nu0 = 1e-3,
                           .drag = 0.05,
                           .with_adv = cases[k].adv,
                           .with_sgs = cases[k].sgs,
                           .with_linear = cases[k].lin,
                           .with_force = cases[k].force};
    TU_OK(cpu.b->ops->spec_tendency(cpu.b, &p, cpu.s[0], cpu.s[1], cpu.s[2], cpu.s[3], cpu.s[4],
                                    cpu.s[5]));
    TU_OK(gpu.b->ops->spec_tendency(gpu.b, &p, gpu.s[0], gpu.s[1], gpu.s[2], gpu.s[3], gpu.s[4],
                                    gpu.s[5]));
    cmp_spec(5, cases[k].what);
  }
  /* q2 folded into adv (backend.h q2_in_adv), as the fused products leave it: the GPU's and the
   * CPU's folded tendencies against the CPU's unfolded one */
  {
    double *adv = malloc(sizeof(double) * nspec), *q2 = malloc(sizeof(double) * nspec);
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[1], adv));
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[3], q2));
    for (int a = 0; a < G.nky; a++)
      for (int b = 0; b < N; b++) {
        size_t m = 2 * ((size_t)a * N + b);
        double ky = G.ky0 + a;
        adv[m] -= ky * q2[m + 1], adv[m + 1] += ky * q2[m];
      }
    put_spec(7, adv);
    dashi_tend_params p = {.dealias = {DASHI_DEALIAS_TWOTHIRDS, 36, 8},
                           .form = DASHI_SGS_FORM_DIV,
                           .nu0 = 1e-3,
                           .drag = 0.05,
                           .with_adv = true,
                           .with_sgs = true,
                           .with_linear = true};
    TU_OK(cpu.b->ops->spec_tendency(cpu.b, &p, cpu.s[0], cpu.s[1], cpu.s[2], cpu.s[3], NULL,
                                    cpu.s[5]));
    p.q2_in_adv = true;
    TU_OK(gpu.b->ops->spec_tendency(gpu.b, &p, gpu.s[0], gpu.s[7], gpu.s[2], NULL, NULL, gpu.s[5]));
    cmp_spec(5, "spec_tendency, q2 in adv (GPU) vs not (CPU)");
    TU_OK(cpu.b->ops->spec_tendency(cpu.b, &p, cpu.s[0], cpu.s[7], cpu.s[2], NULL, NULL, cpu.s[8]));
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[8], adv));
    TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[5], q2));
    double e = rel_l2(adv, q2, nspec, true);
    tu_check(e <= tol, "%-40s rel L2 %.2e (tol %.0e)", "spec_tendency, q2 in adv (CPU) vs not", e,
             tol);
    p.form = DASHI_SGS_FORM_LAP; /* a usage error on both */
    tu_check(cpu.b->ops->spec_tendency(cpu.b, &p, cpu.s[0], cpu.s[7], cpu.s[2], NULL, NULL,
                                       cpu.s[8]) == DASHI_ERR_USAGE &&
                 gpu.b->ops->spec_tendency(gpu.b, &p, gpu.s[0], gpu.s[7], gpu.s[2], NULL, NULL,
                                           gpu.s[8]) == DASHI_ERR_USAGE,
             "spec_tendency: q2_in_adv in the lap form is a usage error on both backends");
    free(adv);
    free(q2);
  }
  /* a tendency followed by an RK combination that reads it (one fused pass on the GPU), the
   * combination written over the tendency's own state input; then one it cannot fuse (4 terms) */
  {
    dashi_tend_params p = {.dealias = {DASHI_DEALIAS_TWOTHIRDS, 36, 8},
                           .form = DASHI_SGS_FORM_DIV,
                           .nu0 = 1e-3,
                           .with_adv = true,
                           .with_sgs = true,
                           .with_linear = true};
    const double cf[4] = {1.0, 0.005, 0.25, -0.5};
    for (int k = 0; k < 2; k++) {
      side *sd[2] = {&cpu, &gpu};
      for (int q = 0; q < 2; q++) {
        side *x = sd[q];
        dashi_field *src[4] = {x->s[0], x->s[6], x->s[7], x->s[4]};
        TU_OK(
            x->b->ops->spec_tendency(x->b, &p, x->s[0], x->s[1], x->s[2], x->s[3], NULL, x->s[6]));
        TU_OK(x->b->ops->spec_lincomb(x->b, x->s[0], k ? 4 : 2, cf, src));
      }
      cmp_spec(6, k ? "spec_tendency then lincomb (not fused): k"
                    : "spec_tendency + lincomb fused: k");
      cmp_spec(0, k ? "spec_tendency then lincomb (not fused): w"
                    : "spec_tendency + lincomb fused: w");
    }
  }
  /* a different exp filter rebuilds the device's table */
  dashi_tend_params p = {.dealias = {DASHI_DEALIAS_EXP, 18, 4}, .nu0 = 0, .with_adv = true};
  TU_OK(cpu.b->ops->spec_tendency(cpu.b, &p, cpu.s[0], cpu.s[1], NULL, NULL, NULL, cpu.s[5]));
  TU_OK(gpu.b->ops->spec_tendency(gpu.b, &p, gpu.s[0], gpu.s[1], NULL, NULL, NULL, gpu.s[5]));
  cmp_spec(5, "spec_tendency adv, exp(alpha 18, p 4)");
  free(c);
}

static void test_lincomb_filter(void) {
  double *c = malloc(sizeof(double) * nspec);
  for (int i = 0; i < 8; i++) random_spec(80 + i, c), put_spec(i, c);
  const double cf[8] = {1.0, 0.5, -0.25, 3.0, 1e-3, -2.0, 0.75, 0.125};
  for (int n = 1; n <= 8; n++) {
    /* dst aliases the last source (the hard case once the terms are chained) */
    dashi_field *cs[8], *gs[8];
    for (int i = 0; i < n; i++) cs[i] = cpu.s[i], gs[i] = gpu.s[i];
    TU_OK(cpu.b->ops->spec_lincomb(cpu.b, cpu.s[n - 1], n, cf, cs));
    TU_OK(gpu.b->ops->spec_lincomb(gpu.b, gpu.s[n - 1], n, cf, gs));
    char what[64];
    snprintf(what, sizeof what, "spec_lincomb n=%d, dst = src[%d]", n, n - 1);
    cmp_spec(n - 1, what);
  }
  dashi_field *cs[3] = {cpu.s[0], cpu.s[1], cpu.s[2]}, *gs[3] = {gpu.s[0], gpu.s[1], gpu.s[2]};
  TU_OK(cpu.b->ops->spec_lincomb(cpu.b, cpu.s[9], 3, cf, cs));
  TU_OK(gpu.b->ops->spec_lincomb(gpu.b, gpu.s[9], 3, cf, gs));
  cmp_spec(9, "spec_lincomb n=3 into a fresh field");
  dashi_dealias ds[3] = {
      {DASHI_DEALIAS_NONE, 0, 0}, {DASHI_DEALIAS_TWOTHIRDS, 0, 0}, {DASHI_DEALIAS_EXP, 36, 8}};
  static const char *dn[3] = {"spec_filter none", "spec_filter 2/3", "spec_filter exp"};
  for (int k = 0; k < 3; k++) {
    random_spec(90 + k, c), put_spec(10, c);
    TU_OK(cpu.b->ops->spec_filter(cpu.b, &ds[k], cpu.s[10]));
    TU_OK(gpu.b->ops->spec_filter(gpu.b, &ds[k], gpu.s[10]));
    cmp_spec(10, dn[k]);
  }
  free(c);
}

static void test_reductions(void) {
  double *c = malloc(sizeof(double) * nspec), *s = malloc(sizeof(double) * nreal);
  random_spec(100, c), put_spec(0, c);
  random_spec(101, c), put_spec(1, c);
  double dc, dg, mc[3], mg[3];
  TU_OK(cpu.b->ops->spec_dot(cpu.b, cpu.s[0], cpu.s[1], &dc));
  TU_OK(gpu.b->ops->spec_dot(gpu.b, gpu.s[0], gpu.s[1], &dg));
  cmp_num(dg, dc, "spec_dot");
  TU_OK(cpu.b->ops->spec_moments(cpu.b, cpu.s[0], mc));
  TU_OK(gpu.b->ops->spec_moments(gpu.b, gpu.s[0], mg));
  cmp_num(mg[0], mc[0], "spec_moments E");
  cmp_num(mg[1], mc[1], "spec_moments Z");
  cmp_num(mg[2], mc[2], "spec_moments P");
  double *ec = calloc(N / 2 + 1, sizeof *ec), *eg = calloc(N / 2 + 1, sizeof *eg);
  TU_OK(cpu.b->ops->spec_shells(cpu.b, cpu.s[0], ec));
  TU_OK(gpu.b->ops->spec_shells(gpu.b, gpu.s[0], eg));
  double worst = 0, tot = 0;
  for (int k = 0; k <= N / 2; k++) worst = fmax(worst, fabs(eg[k] - ec[k])), tot += ec[k];
  tu_check(worst <= tol * tot, "%-40s max |diff| %.2e of sum %.3e", "spec_shells (k = 0..N/2)",
           worst, tot);
  random_slab(102, s);
  put_real(0, s);
  double xc, xg;
  TU_OK(cpu.b->ops->real_maxabs(cpu.b, cpu.r[0], &xc));
  TU_OK(gpu.b->ops->real_maxabs(gpu.b, gpu.r[0], &xg));
  tu_check(xg == xc, "%-40s gpu %.17g cpu %.17g", "real_maxabs exact", xg, xc);
  if (G.rank == G.size - 1) s[nreal - 1] = NAN; /* a NaN on the last rank's last point */
  put_real(0, s);
  TU_OK(gpu.b->ops->real_maxabs(gpu.b, gpu.r[0], &xg));
  tu_check(isnan(xg), "real_maxabs reports a NaN (got %g)", xg);
  free(c), free(s), free(ec), free(eg);
}

static void test_ring(void) {
  double *c = malloc(sizeof(double) * nspec), *a = malloc(sizeof(double) * nspec);
  random_spec(110, c), put_spec(0, c);
  for (int step = 0; step < 3; step++) {
    TU_OK(cpu.b->ops->spec_ring_kick(cpu.b, 7, step, 4.0, 1.5, 0.37, cpu.s[0]));
    TU_OK(gpu.b->ops->spec_ring_kick(gpu.b, 7, step, 4.0, 1.5, 0.37, gpu.s[0]));
  }
  TU_OK(cpu.b->ops->spec_get(cpu.b, cpu.s[0], c));
  TU_OK(gpu.b->ops->spec_get(gpu.b, gpu.s[0], a));
  double d = tu_maxdiff(MPI_COMM_WORLD, a, c, nspec);
  if (!single)
    tu_check(d == 0, "spec_ring_kick: the same noise bit for bit (max diff %.1e)", d);
  else
    tu_check(rel_l2(a, c, nspec, true) <= tol, "spec_ring_kick (single) max diff %.1e", d);
  free(c), free(a);
}

/* nonlinear_products with fold_q2 (backend.h) under the 2/3 output band, read back right after
 * the op: out[0] = adv + i ky q2 and out[1] = q1 of the same op without the fold, at the modes the
 * 2/3 filter keeps (dashi_les_rhs checks the fold only through the whole right-hand side) */
static void test_products_fold(void) {
  const struct dashi_backend_ops *o = gpu.b->ops;
  if (!o->nonlinear_products) {
    tu_note("nonlinear_products fold: not offered by this backend configuration\n");
    return;
  }
  static const dashi_spec_op ops[6] = {DASHI_OP_U,  DASHI_OP_V,   DASHI_OP_DX,
                                       DASHI_OP_DY, DASHI_OP_S11, DASHI_OP_S12};
  double *c[5];
  for (int i = 0; i < 5; i++) c[i] = malloc(sizeof(double) * nspec);
  random_spec(90, c[0]);
  put_spec(0, c[0]);
  dashi_sgs_params sp = {.smag = 0.013, .form = DASHI_SGS_FORM_DIV, .fold_q2 = true};
  dashi_field *sd[6] = {gpu.s[1], gpu.s[2], gpu.s[3], gpu.s[4], gpu.s[5], gpu.s[6]};
  dashi_field *fold[2] = {gpu.s[7], gpu.s[8]}, *plain[3] = {gpu.s[9], gpu.s[10], gpu.s[11]};
  gpu.b->fft_band_out = N / 3;
  TU_OK(o->nonlinear_products(gpu.b, &sp, gpu.s[0], 6, ops, sd, 2, fold));
  TU_OK(o->spec_get(gpu.b, fold[0], c[0]));
  TU_OK(o->spec_get(gpu.b, fold[1], c[1]));
  sp.fold_q2 = false;
  TU_OK(o->nonlinear_products(gpu.b, &sp, gpu.s[0], 6, ops, sd, 3, plain));
  gpu.b->fft_band_out = 0;
  for (int i = 0; i < 3; i++) TU_OK(o->spec_get(gpu.b, plain[i], c[2 + i]));
  double d[2] = {0, 0}, s[2] = {0, 0};
  for (int a = 0; a < G.nky; a++)
    for (int b = 0; b < N; b++) {
      int kx = dashi_kx(&G, b), ky = G.ky0 + a;
      if (3 * abs(kx) > N || 3 * ky > N) continue;
      size_t k = 2 * ((size_t)a * N + b);
      /* adv + i ky q2 and q1 */
      double want[2][2] = {{c[2][k] - ky * c[4][k + 1], c[2][k + 1] + ky * c[4][k]},
                           {c[3][k], c[3][k + 1]}};
      for (int f = 0; f < 2; f++)
        for (int r = 0; r < 2; r++) {
          double e = c[f][k + r] - want[f][r];
          d[f] += e * e, s[f] += want[f][r] * want[f][r];
        }
    }
  for (int f = 0; f < 2; f++) {
    double e = sqrt(tu_sum(MPI_COMM_WORLD, d[f]) / tu_sum(MPI_COMM_WORLD, s[f]));
    tu_check(e <= tol, "nonlinear_products fold out[%d] (%s)     rel L2 %.2e", f,
             f ? "q1" : "adv + i ky q2", e);
  }
  for (int i = 0; i < 5; i++) free(c[i]);
}

/* dashi_les_rhs_term and dashi_les_rhs on both backends from one state */
static void test_rhs_terms(dashi_sgs_form form, bool sgs_on) {
  dashi_les_config cfg = tu_default_config(N);
  cfg.sgs_form = form;
  cfg.sgs_on = sgs_on;
  cfg.forcing = DASHI_FORCING_KOLMOGOROV;
  cfg.kf = 3;
  cfg.nu0 = 1e-3;
  cfg.drag = 0.02;
  dashi_les *sc, *sg;
  TU_OK(dashi_les_create(&cfg, &G, cpu.b, &sc));
  TU_OK(dashi_les_create(&cfg, &G, gpu.b, &sg));
  TU_OK(dashi_les_init_state(sc));
  double *c = malloc(sizeof(double) * nspec), *a = malloc(sizeof(double) * nspec);
  TU_OK(cpu.b->ops->spec_get(cpu.b, sc->w, c));
  TU_OK(dashi_les_set_state_spec(sg, c));
  /* in single, the same terms in double on the CPU: each single-precision side's own error */
  dashi_backend *rb = NULL;
  dashi_les *sr = NULL;
  double *r = NULL;
  if (single) {
    dashi_backend_config bc = {
        .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
    TU_OK(dashi_backend_create(&G, &bc, &rb));
    TU_OK(dashi_les_create(&cfg, &G, rb, &sr));
    TU_OK(dashi_les_set_state_spec(sr, c));
    r = malloc(sizeof(double) * nspec);
  }
  static const char *terms[4] = {"adv", "sgs", "linear", "force"};
  for (int t = 0; t < 5; t++) {
    dashi_les *sides[3] = {sc, sg, sr};
    for (int k = 0; k < 3 && sides[k]; k++)
      TU_OK(t < 4 ? dashi_les_rhs_term(sides[k], sides[k]->w, terms[t], sides[k]->scratch)
                  : dashi_les_rhs(sides[k], sides[k]->w, sides[k]->scratch));
    TU_OK(cpu.b->ops->spec_get(cpu.b, sc->scratch, c));
    TU_OK(gpu.b->ops->spec_get(gpu.b, sg->scratch, a));
    double e = rel_l2(a, c, nspec, true);
    const char *what = !sgs_on ? "no SGS" : form == DASHI_SGS_FORM_DIV ? "div form" : "lap form";
    if (!single || e <= tol) {
      tu_check(e <= tol, "dashi_les_rhs%s%-8s (%s)         rel L2 %.2e", t < 4 ? "_term " : "",
               t < 4 ? terms[t] : "", what, e);
      continue;
    }
    /* Above the tolerance in single: the two sides disagree by more than 2e-6 where the CPU's
     * single precision is itself that far from the exact (double) term - the div form's SGS term
     * from N = 1024 (docs/vulkan.md "Parity in single precision"). Then the GPU must be as
     * accurate as the CPU: its error against double at most 1.25 times the CPU's, and both
     * within 4e-6 N/512 (the error of the term grows like N: 1.2e-6 at 512, 1.7e-6 at 1024). */
    TU_OK(rb->ops->spec_get(rb, sr->scratch, r));
    double eg = rel_l2(a, r, nspec, true), ec = rel_l2(c, r, nspec, true);
    double cap = 4e-6 * (N > 512 ? N / 512.0 : 1.0);
    tu_check(eg <= 1.25 * ec && eg <= cap && ec <= cap,
             "dashi_les_rhs%s%-8s (%s)         rel L2 %.2e between the single sides; against "
             "double: gpu %.2e, cpu %.2e (cap %.1e)",
             t < 4 ? "_term " : "", t < 4 ? terms[t] : "", what, e, eg, ec, cap);
  }
  if (sr) dashi_les_destroy(sr);
  if (rb) dashi_backend_destroy(rb);
  free(r);
  dashi_les_diag dc, dg;
  TU_OK(dashi_les_diagnostics(sc, &dc));
  TU_OK(gpu.b->ops->sync(gpu.b));
  int64_t before = dashi_vulkan_submits(gpu.b);
  TU_OK(dashi_les_diagnostics(sg, &dg));
  /* the record's reductions are deferred (reductions_defer): one submit and wait, not seven (on
   * one rank; several also submit for every field of a transpose) */
  int64_t subs = dashi_vulkan_submits(gpu.b) - before;
  if (G.size == 1)
    tu_check(subs == 1, "diagnostics: %lld submit(s) for the whole record (expected 1)",
             (long long)subs);
  cmp_num(dg.E, dc.E, "diagnostics E");
  cmp_num(dg.Z, dc.Z, "diagnostics Z");
  cmp_num(dg.P, dc.P, "diagnostics P");
  cmp_num(dg.max_omega, dc.max_omega, "diagnostics max|w|");
  cmp_num(dg.cfl, dc.cfl, "diagnostics CFL");
  cmp_num(dg.nu_t_mean, dc.nu_t_mean, "diagnostics <nu_t>");
  cmp_num(dg.diss_Z, dc.diss_Z, "diagnostics diss_Z");
  cmp_num(dg.inj_Z, dc.inj_Z, "diagnostics inj_Z (Kolmogorov forcing)");
  /* a discarded deferral (after an error) leaves its outputs alone and the next reduction is
   * taken at once */
  const struct dashi_backend_ops *go = gpu.b->ops;
  double x = -1, y = -1;
  TU_OK(go->reductions_defer(gpu.b, DASHI_DEFER_BEGIN));
  TU_OK(go->spec_dot(gpu.b, sg->w, sg->w, &x));
  TU_OK(go->reductions_defer(gpu.b, DASHI_DEFER_DISCARD));
  TU_OK(go->spec_dot(gpu.b, sg->w, sg->w, &y));
  tu_check(x == -1 && fabs(y - 2 * dg.Z) <= tol * 2 * dg.Z,
           "reductions_defer discard: output untouched (%g), then <w w> at once %.15g (2Z %.15g)",
           x, y, 2 * dg.Z);
  dashi_les_destroy(sc);
  dashi_les_destroy(sg);
  free(c), free(a);
}

/* dashi_les_step_diag: the record of a state riding on the step after it (the driver's records
 * between outputs) - on each backend the step bit for bit that of dashi_les_step, the record bit
 * for bit that of dashi_les_diagnostics (both take dashi_les_record_terms: on the GPU the fused
 * products' own reductions of max|u|, max|v| and <nu_t>), and the GPU's record against the
 * CPU's */
static void test_step_diag(dashi_sgs_form form, bool sgs_on, dashi_ts_kind ts) {
  dashi_les_config cfg = tu_default_config(N);
  cfg.sgs_form = form;
  cfg.sgs_on = sgs_on;
  cfg.forcing = DASHI_FORCING_KOLMOGOROV;
  cfg.kf = 3;
  cfg.drag = 0.02;
  cfg.ts = ts;
  const char *what = !sgs_on ? "no SGS" : form == DASHI_SGS_FORM_DIV ? "div form" : "lap form";
  side *sd[2] = {&cpu, &gpu};
  dashi_les_diag rec[2][2];
  double *st[2][2];
  for (int k = 0; k < 2; k++)
    for (int ride = 0; ride < 2; ride++) {
      dashi_les *s;
      TU_OK(dashi_les_create(&cfg, &G, sd[k]->b, &s));
      TU_OK(dashi_les_init_state(s));
      TU_OK(dashi_les_step(s)); /* a state with a history (not the initial condition's) */
      if (ride)
        TU_OK(dashi_les_step_diag(s, &rec[k][ride]));
      else {
        TU_OK(dashi_les_diagnostics(s, &rec[k][ride]));
        TU_OK(dashi_les_step(s));
      }
      TU_OK(dashi_les_step(s)); /* the step after the ride is an ordinary one */
      st[k][ride] = malloc(sizeof(double) * nspec);
      TU_OK(sd[k]->b->ops->spec_get(sd[k]->b, s->w, st[k][ride]));
      dashi_les_destroy(s);
    }
  for (int k = 0; k < 2; k++) {
    const char *b = k ? "gpu" : "cpu";
    tu_check(!memcmp(st[k][0], st[k][1], sizeof(double) * nspec),
             "step_diag (%s, %s, ts %d): the steps bit for bit those without the record", b, what,
             (int)ts);
    const dashi_les_diag *x = &rec[k][1], *y = &rec[k][0];
    double v[2][8] = {{x->E, x->Z, x->P, x->max_omega, x->cfl, x->nu_t_mean, x->diss_Z, x->inj_Z},
                      {y->E, y->Z, y->P, y->max_omega, y->cfl, y->nu_t_mean, y->diss_Z, y->inj_Z}};
    static const char *names[8] = {"E", "Z", "P", "max|w|", "CFL", "<nu_t>", "diss_Z", "inj_Z"};
    for (int i = 0; i < 8; i++) {
      char m[96];
      snprintf(m, sizeof m, "step_diag %s %s (%s) vs separate", b, names[i], what);
      tu_check(v[0][i] == v[1][i] || (isnan(v[0][i]) && isnan(v[1][i])),
               "%-40s %.17g %.17g (bit for bit)", m, v[0][i], v[1][i]);
    }
    tu_check(x->step == y->step && x->time == y->time, "step_diag %s: record of step %lld (t=%g)",
             b, (long long)x->step, x->time);
  }
  const dashi_les_diag *g = &rec[1][1], *c = &rec[0][0];
  cmp_num(g->cfl, c->cfl, "step_diag gpu vs cpu CFL");
  cmp_num(g->nu_t_mean, c->nu_t_mean, "step_diag gpu vs cpu <nu_t>");
  cmp_num(g->diss_Z, c->diss_Z, "step_diag gpu vs cpu diss_Z");
  cmp_num(g->max_omega, c->max_omega, "step_diag gpu vs cpu max|w|");
  for (int k = 0; k < 2; k++) free(st[k][0]), free(st[k][1]);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  single = argc > 1 && !strcmp(argv[1], "single");
  if (argc > 2) N = atoi(argv[2]);
  tol = single ? 2e-6 : 1e-12;
  TU_OK(dashi_grid_create(MPI_COMM_WORLD, N, &G));
  nspec = 2 * (size_t)G.nky * N;
  nreal = (size_t)G.nx * N;
  side_open(&cpu, "cpu");
  side_open(&gpu, "vulkan");
  tu_note("Vulkan vs CPU parity, N=%d, %s, %d rank(s): %s\n  %s\n", N, single ? "single" : "double",
          G.size, gpu.b->devices, gpu.b->fft_library);
  expect_paths();
  test_get_put();
  test_fft();
  if (argc > 3 && !strcmp(argv[3], "fft")) {
    side_close(&gpu);
    side_close(&cpu);
    return tu_finish("test_vk_parity (transforms)");
  }
  test_derive();
  test_band();
  test_nonlinear();
  test_tendency();
  test_lincomb_filter();
  test_reductions();
  test_ring();
  test_products_fold();
  test_rhs_terms(DASHI_SGS_FORM_DIV, true);
  test_rhs_terms(DASHI_SGS_FORM_LAP, true);
  test_rhs_terms(DASHI_SGS_FORM_DIV, false);
  test_step_diag(DASHI_SGS_FORM_DIV, true, DASHI_TS_RK2);
  test_step_diag(DASHI_SGS_FORM_LAP, true, DASHI_TS_SSPRK3);
  test_step_diag(DASHI_SGS_FORM_DIV, false, DASHI_TS_RK4);
  side_close(&gpu);
  side_close(&cpu);
  return tu_finish("test_vk_parity");
}

/* Initial conditions (SPEC §2). All are generated per global mode or per global point, so they are
 * identical for every rank count and backend; all pass through the dealiasing filter. */
#include <math.h>
#include <stdlib.h>

#include "dashi/error.h"
#include "dashi/les.h"
#include "dashi/rng.h"

/* Gaussian random field with E(k) ~ k^4 exp(-2 (k/k0)^2): mode amplitude^2 ~ E(k) k (2D shell
 * density), complex Gaussian phase from (seed, mode), Hermitian on ky = 0. */
static void random_modes(const dashi_les *s, double *canon) {
  const dashi_grid *g = s->g;
  double k0 = s->cfg.k0;
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    for (int b = 0; b < g->N; b++) {
      int kx = dashi_kx(g, b);
      double *z = canon + 2 * ((size_t)a * g->N + b);
      z[0] = z[1] = 0;
      double k = sqrt((double)kx * kx + (double)ky * ky);
      if (k == 0 || dashi_is_nyquist(g, kx, ky)) continue;
      int ckx = (ky == 0 && kx < 0) ? -kx : kx;
      double xi[2];
      dashi_gauss2(s->cfg.seed, DASHI_RNG_IC, (uint64_t)ky << 32 | (uint32_t)ckx, 0, xi);
      double amp = sqrt(pow(k, 5.0) * exp(-2.0 * (k / k0) * (k / k0)));
      z[0] = amp * xi[0];
      z[1] = (ky == 0 && kx < 0 ? -1.0 : 1.0) * amp * xi[1];
    }
  }
}

/* whether a canonical spectral field [nky][N][2] is zero outside the 2/3 band (all ranks) */
static bool canon_in_band(const dashi_grid *g, const double *canon) {
  int out = 0;
  for (int a = 0; a < g->nky && !out; a++) {
    int ky = g->ky0 + a;
    for (int b = 0; b < g->N && !out; b++) {
      int kx = b <= g->N / 2 ? b : b - g->N;
      if (3 * abs(kx) <= g->N && 3 * ky <= g->N) continue;
      const double *z = canon + 2 * ((size_t)a * g->N + b);
      out = z[0] != 0.0 || z[1] != 0.0;
    }
  }
  int any = out;
  MPI_Allreduce(&out, &any, 1, MPI_INT, MPI_MAX, g->comm);
  return !any;
}

int dashi_les_set_state_spec(dashi_les *s, const double *canon) {
  s->band_limited = canon_in_band(s->g, canon);
  return s->b->ops->spec_put(s->b, s->w, canon);
}

int dashi_les_set_state_slab(dashi_les *s, const double *slab) {
  const struct dashi_backend_ops *ops = s->b->ops;
  DASHI_CALL(ops->real_put(s->b, s->rl[0], slab));
  s->band_limited = false;
  DASHI_CALL(ops->fft_forward(s->b, 1, &s->rl[0], &s->w));
  DASHI_CALL(ops->spec_filter(s->b, &s->cfg.dealias, s->w));
  s->band_limited = s->cfg.dealias.kind == DASHI_DEALIAS_TWOTHIRDS;
  return 0;
}

int dashi_les_init_state(dashi_les *s) {
  const dashi_grid *g = s->g;
  const struct dashi_backend_ops *ops = s->b->ops;
  s->step = 0;
  s->time = 0;
  s->band_limited = false;
  if (s->cfg.ic == DASHI_IC_RANDOM) {
    double *canon = malloc(sizeof(double) * 2 * g->nky * g->N);
    random_modes(s, canon);
    int rc = ops->spec_put(s->b, s->w, canon);
    free(canon);
    DASHI_CALL(rc);
    DASHI_CALL(ops->spec_filter(s->b, &s->cfg.dealias, s->w));
    s->band_limited = s->cfg.dealias.kind == DASHI_DEALIAS_TWOTHIRDS;
    double m[3];
    DASHI_CALL(ops->spec_moments(s->b, s->w, m));
    if (!(m[1] > 0))
      return dashi_err(DASHI_ERR_USAGE,
                       "random initial condition has no energy below the filter "
                       "(k0=%g, N=%d): raise N or lower -k0",
                       s->cfg.k0, g->N);
    double c = sqrt(0.5 / m[1]); /* enstrophy Z = 1/2 <w^2> = 0.5 */
    dashi_field *src[] = {s->w};
    return ops->spec_lincomb(s->b, s->w, 1, &c, src);
  }
  if (s->cfg.ic == DASHI_IC_TAYLOR_GREEN) {
    int k = s->cfg.tg_k;
    if (k < 1 || 3 * k > g->N)
      return dashi_err(DASHI_ERR_USAGE, "-tg_k %d must be in 1..N/3 (N=%d)", k, g->N);
    double *slab = malloc(sizeof(double) * g->nx * g->N);
    for (int i = 0; i < g->nx; i++)
      for (int j = 0; j < g->N; j++)
        slab[(size_t)i * g->N + j] = 2.0 * k * sin(k * (g->x0 + i) * g->dx) * sin(k * j * g->dx);
    int rc = dashi_les_set_state_slab(s, slab);
    free(slab);
    return rc;
  }
  return dashi_err(DASHI_ERR_USAGE, "-ic file: the initial field must be read by the caller");
}

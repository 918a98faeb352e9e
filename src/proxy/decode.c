/* Deterministic decode (SPEC §6) of a proxy state at resolution n = decode_N: the low-pass field
 * from lowk and the anchors, the ternary carrier (threshold, majority, annihilation, fining) and
 * the carrier residual with the energy of the header. Each proxy rank decodes its own members
 * through the backend seam on a one-rank grid (MPI_COMM_SELF), so no FFT library is called here. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy.h"

struct dashi_decoder {
  const dashi_proxy_layout *l;
  dashi_decode_params p;
  dashi_grid g;
  dashi_backend *b;
  dashi_field *spec, *real;
  double *canon; /* [n/2][n][2] */
  int8_t *s, *s2;
};

int dashi_decoder_n(const dashi_decoder *d) {
  return d->p.n;
}

int dashi_decode_params_check(const dashi_proxy_layout *l, const dashi_decode_params *p) {
  int n = p->n;
  if (n % 2 || n <= 2 * l->cfg.mid_cut)
    return dashi_err(DASHI_ERR_USAGE,
                     "-decode_N %d: must be even and larger than 2*mid_cut = %d so that every "
                     "proxy mode is representable below the decode grid's Nyquist wavenumber",
                     n, 2 * l->cfg.mid_cut);
  if (p->plateau < 0 || p->iters < 0)
    return dashi_err(DASHI_ERR_USAGE, "-plateau %d and -annihilate_iters %d must be >= 0",
                     p->plateau, p->iters);
  if (!l->frozen)
    return dashi_err(DASHI_ERR_INPUT,
                     "decode: the proxy anchors are not set (no frame encoded yet)");
  return 0;
}

int dashi_decoder_create(const dashi_proxy_layout *l, const dashi_decode_params *p,
                         dashi_decoder **out) {
  DASHI_CALL(dashi_decode_params_check(l, p));
  int n = p->n;
  dashi_decoder *d = calloc(1, sizeof *d);
  d->l = l;
  d->p = *p;
  int rc = dashi_grid_create(MPI_COMM_SELF, n, &d->g);
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  if (!rc) rc = dashi_backend_create(&d->g, &bc, &d->b);
  if (!rc) rc = d->b->ops->field_create(d->b, DASHI_FIELD_SPEC, &d->spec);
  if (!rc) rc = d->b->ops->field_create(d->b, DASHI_FIELD_REAL, &d->real);
  d->canon = malloc(sizeof(double) * (size_t)n * n);
  d->s = malloc((size_t)n * n);
  d->s2 = malloc((size_t)n * n);
  if (rc) {
    dashi_decoder_destroy(d);
    return rc;
  }
  *out = d;
  return 0;
}

void dashi_decoder_destroy(dashi_decoder *d) {
  if (!d) return;
  if (d->b) {
    d->b->ops->field_destroy(d->b, d->spec);
    d->b->ops->field_destroy(d->b, d->real);
    dashi_backend_destroy(d->b);
  }
  free(d->canon);
  free(d->s);
  free(d->s2);
  free(d);
}

/* mode (kx, ky >= 0) and, on the ky = 0 row, its conjugate at -kx */
static void put_mode(double *canon, int n, int kx, int ky, double re, double im) {
  double s = (double)n * n;
  double *c = canon + 2 * ((size_t)ky * n + (kx + n) % n);
  c[0] = re * s, c[1] = im * s;
  if (ky == 0) {
    c = canon + 2 * (size_t)((-kx + n) % n);
    c[0] = re * s, c[1] = -im * s;
  }
}

int dashi_decoder_real(dashi_decoder *d, const double *canon, double *omega) {
  const struct dashi_backend_ops *ops = d->b->ops;
  DASHI_CALL(ops->spec_put(d->b, d->spec, canon));
  DASHI_CALL(ops->fft_inverse(d->b, 1, &d->spec, &d->real));
  return ops->real_get(d->b, d->real, omega);
}

int dashi_decode_lowpass(dashi_decoder *d, const double *z, double *omega) {
  const dashi_proxy_layout *l = d->l;
  int n = d->p.n, kept = dashi_z_kept(l);
  memset(d->canon, 0, sizeof(double) * (size_t)n * n);
  for (int i = 0; i < l->nL; i++) put_mode(d->canon, n, l->L[i].kx, l->L[i].ky, z[i], z[l->nL + i]);
  for (int i = 0; i < l->K; i++)
    put_mode(d->canon, n, l->anchors[i].kx, l->anchors[i].ky, z[kept + i], z[kept + l->K + i]);
  return dashi_decoder_real(d, d->canon, omega);
}

int dashi_decode(dashi_decoder *d, const double *z, dashi_fining *f, double *omega,
                 dashi_decode_stats *st, int *history) {
  const int n = d->p.n;
  const size_t cells = (size_t)n * n;
  memset(st, 0, sizeof *st);
  PetscLogEventBegin(dashi_ev_decode, 0, 0, 0, 0);
  int rc = dashi_decode_lowpass(d, z, omega);
  if (rc) {
    PetscLogEventEnd(dashi_ev_decode, 0, 0, 0, 0);
    return rc;
  }
  /* the threshold's max|w| would pass over a NaN: a non-finite low-pass field is an error, as
   * on the GPU (vk_carrier.c), not an empty carrier */
  for (size_t k = 0; k < cells; k++)
    if (!isfinite(omega[k])) {
      PetscLogEventEnd(dashi_ev_decode, 0, 0, 0, 0);
      return dashi_err(DASHI_ERR_NUMERICS,
                       "decode: the low-pass field has a non-finite value at cell %zu (decode_N "
                       "%d): the proxy state overflowed",
                       k, n);
    }
  st->support = dashi_carrier_threshold(n, omega, d->p.tau, d->s, &st->max_lp);
  st->after_majority = dashi_carrier_majority(n, d->s, d->s2);
  for (int i = 0; i < d->p.iters && history; i++) history[i] = -1;
  st->after_annihilation =
      dashi_carrier_annihilate(n, d->s2, d->s, d->p.plateau, d->p.iters, history, &st->annih_iters);
  if (f) dashi_fining_update(f, d->s2, &st->fin);
  int nz = 0;
  for (size_t k = 0; k < cells; k++) nz += d->s2[k] != 0;
  if (!f) st->fin.alive = nz;
  const int hdr = dashi_z_hdr(d->l);
  st->e_target = z[hdr + DASHI_HDR_EMID] + z[hdr + DASHI_HDR_EHIGH];
  st->gain = 0;
  if (d->p.residual) {
    if (st->e_target > 0 && nz > 0) {
      /* 1/2 <(g s)^2> = 1/2 g^2 nz / n^2 = E_mid + E_high */
      st->gain = sqrt(2.0 * st->e_target * (double)cells / nz);
      for (size_t k = 0; k < cells; k++) omega[k] += st->gain * d->s2[k];
    } else {
      st->residual_skipped = true;
    }
  }
  PetscLogEventEnd(dashi_ev_decode, 0, 0, 0, 0);
  return 0;
}

int dashi_decoder_moments(dashi_decoder *d, const double *omega, double *E, double *Z, double *Ek) {
  const struct dashi_backend_ops *ops = d->b->ops;
  size_t cells = (size_t)d->p.n * d->p.n;
  DASHI_CALL(ops->real_put(d->b, d->real, omega));
  DASHI_CALL(ops->fft_forward(d->b, 1, &d->real, &d->spec));
  double m[3];
  DASHI_CALL(ops->spec_moments(d->b, d->spec, m));
  if (Ek) DASHI_CALL(ops->spec_shells(d->b, d->spec, Ek));
  double z = 0;
  for (size_t k = 0; k < cells; k++) z += omega[k] * omega[k];
  *E = m[0];
  *Z = 0.5 * z / (double)cells;
  return 0;
}

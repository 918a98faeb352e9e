/* CPU backend: FFTW slab transforms, MPI all-to-all transposes and plain C loops. Compiled twice
 * (DASHI_SINGLE = 0/1).
 *
 * Distributed 2D r2c transform (forward) of a batch of fields: for each field, 1D r2c along y for
 * every local x row, then pack the ky < N/2 half (ky = N/2 is a Nyquist row, zero by convention)
 * into per-destination blocks [rank][field][x][ky]; ONE MPI_Alltoallw moves the whole batch and
 * lands each field as xbuf[field][x][ky] (all x, this rank's ky, rows padded); finally 1D c2c along
 * x, read with the row stride, writes the spectral layout [ky][kx]: the local transpose is folded into FFTW's strided
 * transform. The inverse runs the same steps backwards and applies 1/N^2 while unpacking. On one
 * rank the all-to-all is skipped. Plans and MPI datatypes are made once at setup; execution never
 * allocates. */
#include <fftw3-mpi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/log.h"

#ifndef DASHI_SINGLE
#define DASHI_SINGLE 0
#endif
#if DASHI_SINGLE
typedef float real_t;
typedef fftwf_complex cplx_t;
#define FFTW(x) fftwf_##x
#define CREATE_FN dashi_cpu_backend_create_f32
#else
typedef double real_t;
typedef fftw_complex cplx_t;
#define FFTW(x) fftw_##x
#define CREATE_FN dashi_cpu_backend_create_f64
#endif

#define MAXBATCH 8

typedef struct {
  const dashi_grid *g;
  FFTW(plan) r2c_rows, c2r_rows, cx_fwd, cx_bwd;
  MPI_Datatype block[MAXBATCH + 1];   /* nb fields' [nx][nky] blocks, contiguous (send side) */
  MPI_Datatype scatter[MAXBATCH + 1]; /* the same blocks spread over xbuf fields (receive side) */
  cplx_t *rowbuf; /* [nx][N/2+1] */
  cplx_t *packed; /* [rank][field][nx][nky] */
  cplx_t *xbuf;   /* [field][N][xs]: all x, this rank's ky (xs = nky + 1: the padding breaks the
                     power-of-two stride of the x transforms, which would thrash the cache) */
  int xs;
  double *kx;     /* kx of column b */
  double *dealias; /* D(k) per local mode for dealias_for */
  dashi_dealias dealias_for;
} cpu_impl;

#define IMPL(b) ((cpu_impl *)(b)->impl)

static size_t spec_len(const dashi_grid *g) { return (size_t)g->nky * g->N; }
static size_t real_len(const dashi_grid *g) { return (size_t)g->nx * g->N; }

static int field_create(dashi_backend *b, dashi_field_kind kind, dashi_field **out) {
  const dashi_grid *g = b->grid;
  dashi_field *f = calloc(1, sizeof *f);
  size_t n = kind == DASHI_FIELD_REAL ? real_len(g) : 2 * spec_len(g);
  f->kind = kind;
  f->data = FFTW(malloc)(sizeof(real_t) * (n ? n : 1));
  if (!f || !f->data) return dashi_err(DASHI_ERR_GENERIC, "out of memory allocating a field");
  memset(f->data, 0, sizeof(real_t) * n);
  *out = f;
  return 0;
}

static void field_destroy(dashi_backend *b, dashi_field *f) {
  if (!f) return;
  FFTW(free)(f->data);
  free(f);
}

#define R(f) ((real_t *)(f)->data)
#define C(f) ((cplx_t *)(f)->data)

static void zero_nyquist_column(const dashi_grid *g, cplx_t *s) {
  for (int a = 0; a < g->nky; a++) s[(size_t)a * g->N + g->N / 2][0] = s[(size_t)a * g->N + g->N / 2][1] = 0;
}

/* all-to-all of a batch of nb fields: packed [rank][field][nx][nky] <-> xbuf[field][x][nky] */
static int exchange(cpu_impl *c, int nb, bool forward) {
  const dashi_grid *g = c->g;
  int P = g->size;
  int cnt[P], one[P], dpk[P], dx[P];
  MPI_Datatype tb[P], ts[P];
  size_t blk = sizeof(cplx_t) * (size_t)g->nx * g->nky;
  for (int r = 0; r < P; r++) {
    cnt[r] = 1, one[r] = 1;
    dpk[r] = (int)(blk * nb * r);
    dx[r] = (int)(sizeof(cplx_t) * (size_t)g->nx * c->xs * r);
    tb[r] = c->block[nb], ts[r] = c->scatter[nb];
  }
  (void)cnt;
  PetscLogEventBegin(dashi_ev_transpose, 0, 0, 0, 0);
  int rc = forward ? MPI_Alltoallw(c->packed, one, dpk, tb, c->xbuf, one, dx, ts, g->comm)
                   : MPI_Alltoallw(c->xbuf, one, dx, ts, c->packed, one, dpk, tb, g->comm);
  PetscLogEventEnd(dashi_ev_transpose, 0, 0, 0, 0);
  return rc == MPI_SUCCESS ? 0 : dashi_err(DASHI_ERR_MPI, "MPI_Alltoallw failed in the FFT transpose");
}

/* row i of rank r's block of field f: in `packed` (several ranks) or directly in xbuf (one rank) */
static inline cplx_t *pack_row(cpu_impl *c, int nb, int f, int r, int i) {
  const dashi_grid *g = c->g;
  if (g->size == 1) return c->xbuf + ((size_t)f * g->N + i) * c->xs;
  return c->packed + (((size_t)r * nb + f) * g->nx + i) * g->nky;
}

static int fft_forward(dashi_backend *b, int n, dashi_field *const *real, dashi_field *const *spec) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  int N = g->N, H = N / 2, P = g->size, nky = g->nky, nx = g->nx;
  size_t xfield = (size_t)N * c->xs;
  for (int f0 = 0; f0 < n; f0 += MAXBATCH) {
    int nb = n - f0 < MAXBATCH ? n - f0 : MAXBATCH;
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) {
      FFTW(execute_dft_r2c)(c->r2c_rows, R(real[f0 + f]), c->rowbuf);
      for (int r = 0; r < P; r++)
        for (int i = 0; i < nx; i++)
          memcpy(pack_row(c, nb, f, r, i), c->rowbuf + (size_t)i * (H + 1) + (size_t)r * nky,
                 sizeof(cplx_t) * nky);
    }
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    if (P > 1) DASHI_CALL(exchange(c, nb, true));
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) {
      FFTW(execute_dft)(c->cx_fwd, c->xbuf + f * xfield, C(spec[f0 + f]));
      zero_nyquist_column(g, C(spec[f0 + f]));
    }
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
  }
  return 0;
}

static int fft_inverse(dashi_backend *b, int n, dashi_field *const *spec, dashi_field *const *real) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  int N = g->N, H = N / 2, P = g->size, nky = g->nky, nx = g->nx;
  size_t xfield = (size_t)N * c->xs;
  const real_t scale = (real_t)(1.0 / ((double)N * N));
  for (int f0 = 0; f0 < n; f0 += MAXBATCH) {
    int nb = n - f0 < MAXBATCH ? n - f0 : MAXBATCH;
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) FFTW(execute_dft)(c->cx_bwd, C(spec[f0 + f]), c->xbuf + f * xfield);
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    if (P > 1) DASHI_CALL(exchange(c, nb, false));
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) {
      for (int i = 0; i < nx; i++) {
        real_t *dst = (real_t *)(c->rowbuf + (size_t)i * (H + 1));
        for (int r = 0; r < P; r++) {
          const real_t *src = (const real_t *)pack_row(c, nb, f, r, i);
          real_t *d = dst + 2 * (size_t)r * nky;
          for (int k = 0; k < 2 * nky; k++) d[k] = src[k] * scale;
        }
        dst[2 * H] = dst[2 * H + 1] = 0; /* ky = N/2 (Nyquist) */
      }
      FFTW(execute_dft_c2r)(c->c2r_rows, c->rowbuf, R(real[f0 + f]));
    }
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
  }
  return 0;
}

static int spec_derive(dashi_backend *b, const dashi_field *src, int n, const dashi_spec_op *ops,
                       dashi_field *const *dst) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const cplx_t *s = C(src);
  cplx_t *d[8];
  if (n > 8) return dashi_err(DASHI_ERR_GENERIC, "spec_derive: at most 8 outputs");
  for (int o = 0; o < n; o++) d[o] = C(dst[o]);
  for (int a = 0; a < g->nky; a++) {
    const double ky = g->ky0 + a;
    for (int bb = 0; bb < g->N; bb++) {
      const size_t m = (size_t)a * g->N + bb;
      const double kx = c->kx[bb], k2 = kx * kx + ky * ky, ik2 = k2 > 0 ? 1.0 / k2 : 0.0;
      const double zr = s[m][0], zi = s[m][1];
      for (int o = 0; o < n; o++) {
        double fr = 0, fi = 0; /* multiplier fr + i fi */
        switch (ops[o]) {
        case DASHI_OP_COPY: fr = 1; break;
        case DASHI_OP_DX: fi = kx; break;
        case DASHI_OP_DY: fi = ky; break;
        case DASHI_OP_U: fi = ky * ik2; break;
        case DASHI_OP_V: fi = -kx * ik2; break;
        case DASHI_OP_S11: fr = -kx * ky * ik2; break;
        case DASHI_OP_S12: fr = 0.5 * (kx * kx - ky * ky) * ik2; break;
        case DASHI_OP_LAP: fr = -k2; break;
        case DASHI_OP_PSI: fr = ik2; break;
        }
        d[o][m][0] = (real_t)(fr * zr - fi * zi);
        d[o][m][1] = (real_t)(fr * zi + fi * zr);
      }
    }
  }
  for (int o = 0; o < n; o++) zero_nyquist_column(g, d[o]);
  return 0;
}

static int nonlinear_pointwise(dashi_backend *b, const dashi_sgs_params *p, dashi_field *const *in,
                               dashi_field *const *out, double *nu_t_mean) {
  const dashi_grid *g = IMPL(b)->g;
  size_t n = real_len(g);
  const real_t *u = R(in[0]), *v = R(in[1]), *wx = R(in[2]), *wy = R(in[3]);
  real_t *adv = R(out[0]);
  double nsum = 0.0;
  if (p->smag > 0) {
    const real_t *s11 = R(in[4]), *s12 = R(in[5]);
    const real_t *lapw = p->form == DASHI_SGS_FORM_LAP ? R(in[6]) : NULL;
    real_t *q1 = R(out[1]), *q2 = p->form == DASHI_SGS_FORM_DIV ? R(out[2]) : NULL;
    const real_t smag2 = (real_t)(2.0 * p->smag);
    for (size_t k = 0; k < n; k++) {
      real_t nut = smag2 * (real_t)sqrt((double)(s11[k] * s11[k] + s12[k] * s12[k]));
      adv[k] = -(u[k] * wx[k] + v[k] * wy[k]);
      if (q2) q1[k] = nut * wx[k], q2[k] = nut * wy[k];
      else q1[k] = nut * lapw[k];
      nsum += nut;
    }
  } else {
    for (size_t k = 0; k < n; k++) adv[k] = -(u[k] * wx[k] + v[k] * wy[k]);
  }
  if (nu_t_mean) {
    double tot;
    DASHI_MPI(MPI_Allreduce(&nsum, &tot, 1, MPI_DOUBLE, MPI_SUM, g->comm));
    *nu_t_mean = tot / ((double)g->N * g->N);
  }
  return 0;
}

/* D(k) for this rank's modes, recomputed only when the filter changes */
static const double *dealias_table(cpu_impl *c, const dashi_dealias *d) {
  const dashi_grid *g = c->g;
  if (c->dealias_for.kind != d->kind || c->dealias_for.alpha != d->alpha ||
      c->dealias_for.power != d->power) {
    for (int a = 0; a < g->nky; a++)
      for (int bb = 0; bb < g->N; bb++)
        c->dealias[(size_t)a * g->N + bb] = dashi_dealias_factor(g, d, (int)c->kx[bb], g->ky0 + a);
    c->dealias_for = *d;
  }
  return c->dealias;
}

static int spec_tendency(dashi_backend *b, const dashi_tend_params *p, const dashi_field *w,
                         const dashi_field *adv, const dashi_field *q1, const dashi_field *q2,
                         const dashi_field *force, dashi_field *rhs) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const cplx_t *W = C(w), *A = adv ? C(adv) : NULL, *Q1 = q1 ? C(q1) : NULL,
               *Q2 = q2 ? C(q2) : NULL, *F = force ? C(force) : NULL;
  cplx_t *out = C(rhs);
  bool use_adv = p->with_adv && A, use_sgs = p->with_sgs && Q1, use_f = p->with_force && F;
  const double *Dk = dealias_table(c, &p->dealias);
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    for (int bb = 0; bb < g->N; bb++) {
      size_t m = (size_t)a * g->N + bb;
      int kx = (int)c->kx[bb];
      double D = Dk[m];
      double nr = 0, ni = 0;
      if (use_adv) nr += A[m][0], ni += A[m][1];
      if (use_sgs) {
        if (p->form == DASHI_SGS_FORM_DIV) /* i kx q1 + i ky q2 */
          nr += -kx * (double)Q1[m][1] - ky * (double)Q2[m][1],
              ni += kx * (double)Q1[m][0] + ky * (double)Q2[m][0];
        else nr += Q1[m][0], ni += Q1[m][1];
      }
      double lin = p->with_linear ? p->nu0 * (double)(kx * kx + ky * ky) + p->drag : 0.0;
      double rr = D * nr - lin * W[m][0], ri = D * ni - lin * W[m][1];
      if (use_f) rr += F[m][0], ri += F[m][1];
      if (D == 0.0 && dashi_is_nyquist(g, kx, ky)) rr = ri = 0;
      out[m][0] = (real_t)rr;
      out[m][1] = (real_t)ri;
    }
  }
  return 0;
}

static int spec_lincomb(dashi_backend *b, dashi_field *dst, int n, const double *cf,
                        dashi_field *const *src) {
  size_t len = 2 * spec_len(IMPL(b)->g);
  real_t *d = R(dst);
  const real_t *s[8];
  real_t k[8];
  if (n > 8) return dashi_err(DASHI_ERR_GENERIC, "spec_lincomb: at most 8 terms");
  for (int i = 0; i < n; i++) s[i] = R(src[i]), k[i] = (real_t)cf[i];
  for (size_t m = 0; m < len; m++) {
    real_t acc = k[0] * s[0][m];
    for (int i = 1; i < n; i++) acc += k[i] * s[i][m];
    d[m] = acc;
  }
  return 0;
}

static int spec_filter(dashi_backend *b, const dashi_dealias *d, dashi_field *f) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  cplx_t *s = C(f);
  const double *Dk = dealias_table(c, d);
  for (size_t m = 0; m < spec_len(g); m++) {
    s[m][0] = (real_t)(Dk[m] * s[m][0]);
    s[m][1] = (real_t)(Dk[m] * s[m][1]);
  }
  return 0;
}

/* global sums over the full plane, divided by N^4 (Parseval for unnormalized transforms) */
static int full_plane_sum(const dashi_grid *g, int n, double *loc, double *out) {
  DASHI_MPI(MPI_Allreduce(loc, out, n, MPI_DOUBLE, MPI_SUM, g->comm));
  double n4 = (double)g->N * g->N * (double)g->N * g->N;
  for (int i = 0; i < n; i++) out[i] /= n4;
  return 0;
}

static int spec_dot(dashi_backend *b, const dashi_field *x, const dashi_field *y, double *out) {
  const dashi_grid *g = IMPL(b)->g;
  const cplx_t *X = C(x), *Y = C(y);
  double s = 0;
  for (int a = 0; a < g->nky; a++) {
    double w = dashi_mode_weight(g->ky0 + a), t = 0;
    for (int bb = 0; bb < g->N; bb++) {
      size_t m = (size_t)a * g->N + bb;
      t += (double)X[m][0] * Y[m][0] + (double)X[m][1] * Y[m][1];
    }
    s += w * t;
  }
  return full_plane_sum(g, 1, &s, out);
}

static int spec_moments(dashi_backend *b, const dashi_field *wf, double out[3]) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const cplx_t *W = C(wf);
  double s[3] = {0, 0, 0};
  for (int a = 0; a < g->nky; a++) {
    double ky = g->ky0 + a, w = dashi_mode_weight(g->ky0 + a);
    for (int bb = 0; bb < g->N; bb++) {
      size_t m = (size_t)a * g->N + bb;
      double k2 = c->kx[bb] * c->kx[bb] + ky * ky;
      double e = w * ((double)W[m][0] * W[m][0] + (double)W[m][1] * W[m][1]);
      if (k2 > 0) s[0] += e / k2;
      s[1] += e;
      s[2] += e * k2;
    }
  }
  DASHI_CALL(full_plane_sum(g, 3, s, out));
  for (int i = 0; i < 3; i++) out[i] *= 0.5;
  return 0;
}

static int spec_shells(dashi_backend *b, const dashi_field *wf, double *Ek) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  int H = g->N / 2;
  double *loc = calloc((size_t)H + 1, sizeof *loc);
  const cplx_t *W = C(wf);
  for (int a = 0; a < g->nky; a++) {
    double ky = g->ky0 + a, w = dashi_mode_weight(g->ky0 + a);
    for (int bb = 0; bb < g->N; bb++) {
      double k2 = c->kx[bb] * c->kx[bb] + ky * ky;
      int shell = (int)floor(sqrt(k2) + 0.5);
      if (k2 == 0 || shell > H) continue;
      size_t m = (size_t)a * g->N + bb;
      loc[shell] += 0.5 * w * ((double)W[m][0] * W[m][0] + (double)W[m][1] * W[m][1]) / k2;
    }
  }
  int rc = full_plane_sum(g, H + 1, loc, Ek);
  free(loc);
  return rc;
}

static int real_maxabs(dashi_backend *b, const dashi_field *f, double *out) {
  const dashi_grid *g = IMPL(b)->g;
  const real_t *x = R(f);
  double m = 0;
  int bad = 0;
  for (size_t k = 0; k < real_len(g); k++) {
    double a = fabs((double)x[k]);
    if (!isfinite(a)) bad = 1;
    else if (a > m) m = a;
  }
  int anybad;
  DASHI_MPI(MPI_Allreduce(&m, out, 1, MPI_DOUBLE, MPI_MAX, g->comm));
  DASHI_MPI(MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, g->comm));
  if (anybad) *out = NAN; /* reported, never hidden */
  return 0;
}

static int spec_ring_kick(dashi_backend *b, uint64_t seed, int64_t step, double kf, double dk,
                          double amp, dashi_field *wf) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  cplx_t *W = C(wf);
  int kmax = (int)ceil(kf + dk);
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    if (ky > kmax) break;
    for (int bb = 0; bb < g->N; bb++) {
      int kx = (int)c->kx[bb];
      if (abs(kx) > kmax || dashi_is_nyquist(g, kx, ky)) continue;
      double xi[2];
      dashi_ring_mode(seed, step, kx, ky, kf, dk, xi);
      size_t m = (size_t)a * g->N + bb;
      W[m][0] = (real_t)(W[m][0] + amp * xi[0]);
      W[m][1] = (real_t)(W[m][1] + amp * xi[1]);
    }
  }
  return 0;
}

static int spec_get(dashi_backend *b, const dashi_field *f, double *canon) {
  size_t n = 2 * spec_len(IMPL(b)->g);
  for (size_t m = 0; m < n; m++) canon[m] = R(f)[m];
  return 0;
}
static int spec_put(dashi_backend *b, dashi_field *f, const double *canon) {
  size_t n = 2 * spec_len(IMPL(b)->g);
  for (size_t m = 0; m < n; m++) R(f)[m] = (real_t)canon[m];
  zero_nyquist_column(IMPL(b)->g, C(f));
  return 0;
}
static int real_get(dashi_backend *b, const dashi_field *f, double *slab) {
  for (size_t m = 0; m < real_len(IMPL(b)->g); m++) slab[m] = R(f)[m];
  return 0;
}
static int real_put(dashi_backend *b, dashi_field *f, const double *slab) {
  for (size_t m = 0; m < real_len(IMPL(b)->g); m++) R(f)[m] = (real_t)slab[m];
  return 0;
}
static int sync_noop(dashi_backend *b) { return 0; }

static void destroy(dashi_backend *b) {
  cpu_impl *c = IMPL(b);
  FFTW(plan) ps[] = {c->r2c_rows, c->c2r_rows, c->cx_fwd, c->cx_bwd};
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
    if (ps[i]) FFTW(destroy_plan)(ps[i]);
  for (int n = 1; n <= MAXBATCH; n++) {
    if (c->block[n]) MPI_Type_free(&c->block[n]);
    if (c->scatter[n]) MPI_Type_free(&c->scatter[n]);
  }
  FFTW(free)(c->packed);
  FFTW(free)(c->xbuf);
  free(c->dealias);
  FFTW(free)(c->rowbuf);
  free(c->kx);
  free(c);
  free(b);
}

static const struct dashi_backend_ops cpu_ops = {
    .destroy = destroy,
    .field_create = field_create,
    .field_destroy = field_destroy,
    .fft_forward = fft_forward,
    .fft_inverse = fft_inverse,
    .spec_derive = spec_derive,
    .nonlinear_pointwise = nonlinear_pointwise,
    .spec_tendency = spec_tendency,
    .spec_lincomb = spec_lincomb,
    .spec_filter = spec_filter,
    .spec_dot = spec_dot,
    .spec_moments = spec_moments,
    .spec_shells = spec_shells,
    .real_maxabs = real_maxabs,
    .spec_ring_kick = spec_ring_kick,
    .spec_get = spec_get,
    .spec_put = spec_put,
    .real_get = real_get,
    .real_put = real_put,
    .sync = sync_noop,
};

int CREATE_FN(const dashi_grid *g, const dashi_backend_config *cfg, dashi_backend **out) {
  static int mpi_ready = 0;
  if (!mpi_ready) FFTW(mpi_init)(), mpi_ready = 1;
  int N = g->N, H = N / 2;
  dashi_backend *b = calloc(1, sizeof *b);
  cpu_impl *c = calloc(1, sizeof *c);
  b->ops = &cpu_ops;
  b->grid = g;
  b->name = "cpu";
  b->single = DASHI_SINGLE;
  b->impl = c;
  snprintf(b->fft_library, sizeof b->fft_library, "%s (MPI slab transposes, %s)",
           FFTW(version), DASHI_SINGLE ? "single" : "double");
  snprintf(b->devices, sizeof b->devices, "cpu");
  c->g = g;
  c->xs = g->nky + 1;
  size_t xfield = (size_t)N * c->xs;
  c->rowbuf = FFTW(malloc)(sizeof(cplx_t) * (size_t)g->nx * (H + 1));
  c->packed = FFTW(malloc)(sizeof(cplx_t) * MAXBATCH * xfield);
  c->xbuf = FFTW(malloc)(sizeof(cplx_t) * MAXBATCH * xfield);
  c->kx = malloc(sizeof(double) * N);
  c->dealias = malloc(sizeof(double) * spec_len(g));
  c->dealias_for.kind = (dashi_dealias_kind)-1;
  for (int bb = 0; bb < N; bb++) c->kx[bb] = dashi_kx(g, bb);
  real_t *rtmp = FFTW(malloc)(sizeof(real_t) * real_len(g));
  cplx_t *ctmp = FFTW(malloc)(sizeof(cplx_t) * spec_len(g));
  unsigned fl = (unsigned)cfg->fftw_flags;
  /* fields of the batch sit at xbuf + f*xfield: plans made on xbuf must accept that alignment */
  if (FFTW(alignment_of)((real_t *)(c->xbuf + xfield)) != FFTW(alignment_of)((real_t *)c->xbuf))
    fl |= FFTW_UNALIGNED;
  c->r2c_rows = FFTW(plan_many_dft_r2c)(1, &N, g->nx, rtmp, NULL, 1, N, c->rowbuf, NULL, 1, H + 1, fl);
  c->c2r_rows = FFTW(plan_many_dft_c2r)(1, &N, g->nx, c->rowbuf, NULL, 1, H + 1, rtmp, NULL, 1, N, fl);
  /* along x: input [x][ky] (stride nky), output [ky][kx] (contiguous), and back */
  c->cx_fwd = FFTW(plan_many_dft)(1, &N, g->nky, c->xbuf, NULL, c->xs, 1, ctmp, NULL, 1, N,
                                  FFTW_FORWARD, fl);
  c->cx_bwd = FFTW(plan_many_dft)(1, &N, g->nky, ctmp, NULL, 1, N, c->xbuf, NULL, c->xs, 1,
                                  FFTW_BACKWARD, fl);
  bool ok = c->r2c_rows && c->c2r_rows && c->cx_fwd && c->cx_bwd;
  MPI_Datatype rt = DASHI_SINGLE ? MPI_FLOAT : MPI_DOUBLE, rows;
  int blk = 2 * g->nx * g->nky; /* reals per [nx][nky] block */
  MPI_Type_vector(g->nx, 2 * g->nky, 2 * c->xs, rt, &rows); /* one block in padded xbuf rows */
  for (int n = 1; n <= MAXBATCH; n++) {
    MPI_Type_contiguous(blk * n, rt, &c->block[n]);
    MPI_Type_commit(&c->block[n]);
    MPI_Type_create_hvector(n, 1, (MPI_Aint)(sizeof(cplx_t) * xfield), rows, &c->scatter[n]);
    MPI_Type_commit(&c->scatter[n]);
  }
  MPI_Type_free(&rows);
  FFTW(free)(rtmp);
  FFTW(free)(ctmp);
  *out = b;
  if (!ok) {
    destroy(b);
    *out = NULL;
    return dashi_err(DASHI_ERR_GENERIC, "FFTW could not create the plans for N=%d on %d ranks", N,
                     g->size);
  }
  return 0;
}

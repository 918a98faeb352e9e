/* CPU backend: FFTW slab transforms, MPI all-to-all transposes and plain C loops. Compiled twice
 * (DASHI_SINGLE = 0/1).
 *
 * Distributed 2D r2c transform (forward) of a batch of fields: for each field, 1D r2c along y for
 * every local x row into rows[field][x][ky] (ky = N/2 is a Nyquist row, zero by convention, never
 * sent); ONE MPI_Alltoallw, whose datatypes read each destination's ky range straight out of rows,
 * moves the whole batch and lands each field as xbuf[field][x][ky] (all x, this rank's ky); finally
 * the x transforms: blocks of CB columns are gathered into a small contiguous buffer (cache
 * resident) and transformed by a contiguous FFTW plan straight into the spectral rows [ky][kx]. The
 * inverse runs the same steps backwards and applies 1/N^2 while scattering the blocks. On one rank
 * xbuf is rows itself: no exchange and no copy besides the in-cache block gathers. Plans and MPI
 * datatypes are made once at setup; execution never allocates. */
#if defined(__GNUC__) && !defined(__clang__)
/* -O2's "very cheap" vectorizer cost model leaves the element-wise kernels below scalar (their trip
 * counts are not known multiples of the vector width). Vectorizing element-wise loops reorders no
 * arithmetic (reductions stay scalar without -ffast-math): results are bit-identical. */
#pragma GCC optimize("vect-cost-model=dynamic")
#endif
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
#define FFTW(x)   fftwf_##x
#define CREATE_FN dashi_cpu_backend_create_f32
#else
typedef double real_t;
typedef fftw_complex cplx_t;
#define FFTW(x)   fftw_##x
#define CREATE_FN dashi_cpu_backend_create_f64
#endif

#define MAXBATCH 8
#define CB       8 /* columns per block of the x transforms (8, 16, 32: no measurable difference) */

typedef struct {
  const dashi_grid *g;
  FFTW(plan) r2c_rows, c2r_rows;      /* along y, howmany = nx: real [x][N] <-> rows [x][rs] */
  FFTW(plan) cx_fwd, cx_bwd;          /* along x, CB contiguous rows: tmp [CB][N] <-> spec rows */
  FFTW(plan) cx_fwd1, cx_bwd1;        /* the same for one row (nky % CB remainder) */
  MPI_Datatype rowsend[MAXBATCH + 1]; /* nb fields' [nx][nky] blocks inside rows (P > 1) */
  MPI_Datatype scatter[MAXBATCH + 1]; /* the same blocks spread over xbuf fields */
  cplx_t *rows; /* [field][nx][rs]: y transforms (all ky of the local x rows) */
  cplx_t *xbuf; /* P > 1: [field][N][xs]: all x, this rank's ky; P = 1: rows itself */
  cplx_t *tmp;  /* [CB][N]: a block of columns, contiguous along x */
  int rs, xs;   /* row strides (complex) of rows and xbuf */
  size_t rfield, xfield;
  double *kx;      /* kx of column b */
  double *rowk;    /* [N] scratch: one row of 1/|k|^2 */
  cplx_t *rowz;    /* [N] scratch: a copy of the source row when spec_derive runs in place */
  double *dealias; /* D(k) per local mode for dealias_for */
  dashi_dealias dealias_for;
} cpu_impl;

#define IMPL(b) ((cpu_impl *)(b)->impl)

static size_t spec_len(const dashi_grid *g) {
  return (size_t)g->nky * g->N;
}
static size_t real_len(const dashi_grid *g) {
  return (size_t)g->nx * g->N;
}

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
  for (int a = 0; a < g->nky; a++)
    s[(size_t)a * g->N + g->N / 2][0] = s[(size_t)a * g->N + g->N / 2][1] = 0;
}

/* all-to-all of a batch of nb fields: rows[field][x][r*nky + ky] <-> xbuf[field][x][ky] */
static int exchange(cpu_impl *c, int nb, bool forward) {
  const dashi_grid *g = c->g;
  int P = g->size;
  int one[P], dr[P], dx[P];
  MPI_Datatype tr[P], ts[P];
  for (int r = 0; r < P; r++) {
    one[r] = 1;
    dr[r] = (int)(sizeof(cplx_t) * (size_t)g->nky * r);
    dx[r] = (int)(sizeof(cplx_t) * (size_t)g->nx * c->xs * r);
    tr[r] = c->rowsend[nb], ts[r] = c->scatter[nb];
  }
  PetscLogEventBegin(dashi_ev_transpose, 0, 0, 0, 0);
  int rc = forward ? MPI_Alltoallw(c->rows, one, dr, tr, c->xbuf, one, dx, ts, g->comm)
                   : MPI_Alltoallw(c->xbuf, one, dx, ts, c->rows, one, dr, tr, g->comm);
  PetscLogEventEnd(dashi_ev_transpose, 0, 0, 0, 0);
  return rc == MPI_SUCCESS ? 0
                           : dashi_err(DASHI_ERR_MPI, "MPI_Alltoallw failed in the FFT transpose");
}

/* forward x transforms: columns ky of in[x][ky] (row stride `st`) -> spec rows [ky][kx]; blocks of
 * CB columns are gathered into the contiguous tmp (in cache) and transformed from there */
static void cols_forward(cpu_impl *c, const cplx_t *in, int st, cplx_t *spec) {
  const int N = c->g->N, nky = c->g->nky;
  cplx_t *t = c->tmp;
  int a0 = 0;
  for (; a0 + CB <= nky; a0 += CB) {
    const cplx_t *p = in + a0;
    for (int x = 0; x < N; x++, p += st)
      for (int j = 0; j < CB; j++)
        t[(size_t)j * N + x][0] = p[j][0], t[(size_t)j * N + x][1] = p[j][1];
    FFTW(execute_dft)(c->cx_fwd, t, spec + (size_t)a0 * N);
  }
  for (; a0 < nky; a0++) {
    for (int x = 0; x < N; x++)
      t[x][0] = in[(size_t)x * st + a0][0], t[x][1] = in[(size_t)x * st + a0][1];
    FFTW(execute_dft)(c->cx_fwd1, t, spec + (size_t)a0 * N);
  }
  zero_nyquist_column(c->g, spec);
}

/* inverse x transforms, scaled by `scale` while scattering the block into out[x][ky] */
static void cols_inverse(cpu_impl *c, const cplx_t *spec, cplx_t *out, int st, real_t scale) {
  const int N = c->g->N, nky = c->g->nky;
  cplx_t *t = c->tmp;
  int a0 = 0;
  for (; a0 + CB <= nky; a0 += CB) {
    FFTW(execute_dft)(c->cx_bwd, (cplx_t *)(spec + (size_t)a0 * N), t);
    cplx_t *p = out + a0;
    for (int x = 0; x < N; x++, p += st)
      for (int j = 0; j < CB; j++)
        p[j][0] = t[(size_t)j * N + x][0] * scale, p[j][1] = t[(size_t)j * N + x][1] * scale;
  }
  for (; a0 < nky; a0++) {
    FFTW(execute_dft)(c->cx_bwd1, (cplx_t *)(spec + (size_t)a0 * N), t);
    for (int x = 0; x < N; x++)
      out[(size_t)x * st + a0][0] = t[x][0] * scale, out[(size_t)x * st + a0][1] = t[x][1] * scale;
  }
}

static int fft_forward(dashi_backend *b, int n, dashi_field *const *real,
                       dashi_field *const *spec) {
  cpu_impl *c = IMPL(b);
  const int P = c->g->size;
  if (P == 1) { /* rows is the x-transform input: no copy, no exchange */
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < n; f++) {
      FFTW(execute_dft_r2c)(c->r2c_rows, R(real[f]), c->rows);
      cols_forward(c, c->rows, c->rs, C(spec[f]));
    }
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    return 0;
  }
  for (int f0 = 0; f0 < n; f0 += MAXBATCH) {
    int nb = n - f0 < MAXBATCH ? n - f0 : MAXBATCH;
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++)
      FFTW(execute_dft_r2c)(c->r2c_rows, R(real[f0 + f]), c->rows + f * c->rfield);
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    DASHI_CALL(exchange(c, nb, true));
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) cols_forward(c, c->xbuf + f * c->xfield, c->xs, C(spec[f0 + f]));
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
  }
  return 0;
}

/* y transforms back to real space; the ky = N/2 (Nyquist) column is zero */
static void rows_inverse(cpu_impl *c, cplx_t *rows, real_t *real) {
  const dashi_grid *g = c->g;
  for (int i = 0; i < g->nx; i++)
    rows[(size_t)i * c->rs + g->N / 2][0] = rows[(size_t)i * c->rs + g->N / 2][1] = 0;
  FFTW(execute_dft_c2r)(c->c2r_rows, rows, real);
}

static int fft_inverse(dashi_backend *b, int n, dashi_field *const *spec,
                       dashi_field *const *real) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const int N = g->N, P = g->size;
  const real_t scale = (real_t)(1.0 / ((double)N * N));
  if (P == 1) {
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < n; f++) {
      cols_inverse(c, C(spec[f]), c->rows, c->rs, scale);
      rows_inverse(c, c->rows, R(real[f]));
    }
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    return 0;
  }
  for (int f0 = 0; f0 < n; f0 += MAXBATCH) {
    int nb = n - f0 < MAXBATCH ? n - f0 : MAXBATCH;
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++)
      cols_inverse(c, C(spec[f0 + f]), c->xbuf + f * c->xfield, c->xs, scale);
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
    DASHI_CALL(exchange(c, nb, false));
    PetscLogEventBegin(dashi_ev_fft, 0, 0, 0, 0);
    for (int f = 0; f < nb; f++) rows_inverse(c, c->rows + f * c->rfield, R(real[f0 + f]));
    PetscLogEventEnd(dashi_ev_fft, 0, 0, 0, 0);
  }
  return 0;
}

/* One ky row at a time: the row of src and the row's 1/|k|^2 stay in L1 while each operator runs
 * its own branch-free loop over the row. Multipliers are computed exactly as m = fr + i fi in
 * double (products rounded once to the field's precision), with the zero part of m dropped. */
static int spec_derive(dashi_backend *b, const dashi_field *src, int n, const dashi_spec_op *ops,
                       dashi_field *const *dst) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const int N = g->N;
  const cplx_t *s = C(src);
  const double *kx = c->kx;
  double *ik2 = c->rowk;
  cplx_t *d[8];
  bool need_ik2 = false, in_place = false;
  if (n > 8) return dashi_err(DASHI_ERR_GENERIC, "spec_derive: at most 8 outputs");
  for (int o = 0; o < n; o++) {
    d[o] = C(dst[o]);
    in_place |= dst[o]->data == src->data;
    need_ik2 |= ops[o] == DASHI_OP_U || ops[o] == DASHI_OP_V || ops[o] == DASHI_OP_S11 ||
                ops[o] == DASHI_OP_S12 || ops[o] == DASHI_OP_PSI;
  }
  for (int a = 0; a < g->nky; a++) {
    const double ky = g->ky0 + a;
    const cplx_t *z = s + (size_t)a * N;
    if (in_place) memcpy(c->rowz, z, sizeof(cplx_t) * N), z = c->rowz; /* outputs overwrite src */
    if (need_ik2)
      for (int bb = 0; bb < N; bb++) {
        const double k2 = kx[bb] * kx[bb] + ky * ky;
        ik2[bb] = k2 > 0 ? 1.0 / k2 : 0.0;
      }
    for (int o = 0; o < n; o++) {
      cplx_t *restrict e = d[o] + (size_t)a * N;
      switch (ops[o]) {
      case DASHI_OP_COPY:
        memcpy(e, z, sizeof(cplx_t) * N);
        break;
      case DASHI_OP_DX: /* i kx */
        for (int bb = 0; bb < N; bb++) {
          const double fi = kx[bb];
          e[bb][0] = (real_t)(-(fi * z[bb][1])), e[bb][1] = (real_t)(fi * z[bb][0]);
        }
        break;
      case DASHI_OP_DY: /* i ky */
        for (int bb = 0; bb < N; bb++)
          e[bb][0] = (real_t)(-(ky * z[bb][1])), e[bb][1] = (real_t)(ky * z[bb][0]);
        break;
      case DASHI_OP_U: /* i ky / |k|^2 */
        for (int bb = 0; bb < N; bb++) {
          const double fi = ky * ik2[bb];
          e[bb][0] = (real_t)(-(fi * z[bb][1])), e[bb][1] = (real_t)(fi * z[bb][0]);
        }
        break;
      case DASHI_OP_V: /* -i kx / |k|^2 */
        for (int bb = 0; bb < N; bb++) {
          const double fi = -kx[bb] * ik2[bb];
          e[bb][0] = (real_t)(-(fi * z[bb][1])), e[bb][1] = (real_t)(fi * z[bb][0]);
        }
        break;
      case DASHI_OP_S11: /* -kx ky / |k|^2 */
        for (int bb = 0; bb < N; bb++) {
          const double fr = -kx[bb] * ky * ik2[bb];
          e[bb][0] = (real_t)(fr * z[bb][0]), e[bb][1] = (real_t)(fr * z[bb][1]);
        }
        break;
      case DASHI_OP_S12: /* (kx^2 - ky^2) / (2 |k|^2) */
        for (int bb = 0; bb < N; bb++) {
          const double fr = 0.5 * (kx[bb] * kx[bb] - ky * ky) * ik2[bb];
          e[bb][0] = (real_t)(fr * z[bb][0]), e[bb][1] = (real_t)(fr * z[bb][1]);
        }
        break;
      case DASHI_OP_LAP: /* -|k|^2 */
        for (int bb = 0; bb < N; bb++) {
          const double fr = -(kx[bb] * kx[bb] + ky * ky);
          e[bb][0] = (real_t)(fr * z[bb][0]), e[bb][1] = (real_t)(fr * z[bb][1]);
        }
        break;
      case DASHI_OP_PSI: /* 1 / |k|^2 */
        for (int bb = 0; bb < N; bb++) {
          const double fr = ik2[bb];
          e[bb][0] = (real_t)(fr * z[bb][0]), e[bb][1] = (real_t)(fr * z[bb][1]);
        }
        break;
      }
      e[N / 2][0] = e[N / 2][1] = 0; /* kx = N/2 (Nyquist) */
    }
  }
  return 0;
}

/* sqrt of n >= 0 values (s11^2 + s12^2, or NaN): libm's sqrt sets errno on negative arguments, and
 * that check keeps the compiler from vectorizing; sqrtpd is the same correctly rounded IEEE sqrt */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int nonlinear_pointwise(dashi_backend *b, const dashi_sgs_params *p, dashi_field *const *in,
                               dashi_field *const *out, double *nu_t_mean) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const size_t n = real_len(g);
  const real_t *u = R(in[0]), *v = R(in[1]), *wx = R(in[2]), *wy = R(in[3]);
  real_t *adv = R(out[0]);
  double nsum = 0.0;
  if (p->smag > 0) {
    const real_t *s11 = R(in[4]), *s12 = R(in[5]);
    const bool div = p->form == DASHI_SGS_FORM_DIV;
    const real_t *lapw = div ? NULL : R(in[6]);
    real_t *q1 = R(out[1]), *q2 = div ? R(out[2]) : NULL;
    const real_t smag2 = (real_t)(2.0 * p->smag);
    enum { CH = 256 };
    double nut[CH]; /* sqrt(s11^2 + s12^2) of a chunk, then nu_t */
    for (size_t k0 = 0; k0 < n; k0 += CH) {
      const size_t m = n - k0 < CH ? n - k0 : CH;
      const real_t *a = s11 + k0, *bq = s12 + k0;
      size_t k = 0;
#if defined(__SSE2__) && !DASHI_SINGLE
      for (; k + 2 <= m; k += 2) {
        __m128d x = _mm_loadu_pd(a + k), y = _mm_loadu_pd(bq + k);
        _mm_storeu_pd(nut + k, _mm_sqrt_pd(_mm_add_pd(_mm_mul_pd(x, x), _mm_mul_pd(y, y))));
      }
#endif
      for (; k < m; k++) nut[k] = sqrt((double)(a[k] * a[k] + bq[k] * bq[k]));
      for (k = 0; k < m; k++) nut[k] = (double)(smag2 * (real_t)nut[k]);
      if (nu_t_mean)
        for (k = 0; k < m; k++) nsum += nut[k];
      const size_t e = k0 + m;
      for (k = k0; k < e; k++) adv[k] = -(u[k] * wx[k] + v[k] * wy[k]);
      if (div)
        for (k = k0; k < e; k++)
          q1[k] = (real_t)nut[k - k0] * wx[k], q2[k] = (real_t)nut[k - k0] * wy[k];
      else
        for (k = k0; k < e; k++) q1[k] = (real_t)nut[k - k0] * lapw[k];
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

/* one ky row of the tendency; the flags are compile-time constants at each call site below */
static inline void tend_row(int N, double ky, const double *kx, const double *Dk, const cplx_t *W,
                            const cplx_t *A, const cplx_t *Q1, const cplx_t *Q2, const cplx_t *F,
                            cplx_t *out, double nu0, double drag, bool use_adv, bool use_sgs,
                            bool div, bool use_lin, bool use_f, bool use_q2) {
  for (int bb = 0; bb < N; bb++) {
    const double kxb = kx[bb], D = Dk[bb];
    double nr = 0, ni = 0;
    if (use_adv) nr += A[bb][0], ni += A[bb][1];
    if (use_sgs) {
      if (div && use_q2) /* i kx q1 + i ky q2 */
        nr += -kxb * (double)Q1[bb][1] - ky * (double)Q2[bb][1],
            ni += kxb * (double)Q1[bb][0] + ky * (double)Q2[bb][0];
      else if (div) /* i ky q2 is in adv */
        nr += -kxb * (double)Q1[bb][1], ni += kxb * (double)Q1[bb][0];
      else
        nr += Q1[bb][0], ni += Q1[bb][1];
    }
    const double lin = use_lin ? nu0 * (kxb * kxb + ky * ky) + drag : 0.0;
    double rr = D * nr - lin * W[bb][0], ri = D * ni - lin * W[bb][1];
    if (use_f) rr += F[bb][0], ri += F[bb][1];
    out[bb][0] = (real_t)rr;
    out[bb][1] = (real_t)ri;
  }
  out[N / 2][0] = out[N / 2][1] = 0; /* kx = N/2: Nyquist (D = 0 there) */
}

static int spec_tendency(dashi_backend *b, const dashi_tend_params *p, const dashi_field *w,
                         const dashi_field *adv, const dashi_field *q1, const dashi_field *q2,
                         const dashi_field *force, dashi_field *rhs) {
  cpu_impl *c = IMPL(b);
  const dashi_grid *g = c->g;
  const int N = g->N;
  const cplx_t *W = C(w), *A = adv ? C(adv) : NULL, *Q1 = q1 ? C(q1) : NULL,
               *Q2 = q2 ? C(q2) : NULL, *F = force ? C(force) : NULL;
  cplx_t *out = C(rhs);
  const bool use_adv = p->with_adv && A, use_sgs = p->with_sgs && Q1, use_f = p->with_force && F,
             div = p->form == DASHI_SGS_FORM_DIV, lin = p->with_linear, use_q2 = !p->q2_in_adv;
  if (p->q2_in_adv && !(div && use_adv && use_sgs))
    return dashi_err(DASHI_ERR_USAGE, "spec_tendency: q2_in_adv needs the div form, adv and sgs");
  if (use_sgs && div && use_q2 && !Q2)
    return dashi_err(DASHI_ERR_USAGE, "spec_tendency: the div form needs q1 and q2");
  const double *Dk = dealias_table(c, &p->dealias);
  for (int a = 0; a < g->nky; a++) {
    const size_t m = (size_t)a * N;
    const double ky = g->ky0 + a;
#define TROW(ad, sg, dv, ln, fo)                                                                   \
  tend_row(N, ky, c->kx, Dk + m, W + m, A ? A + m : NULL, Q1 ? Q1 + m : NULL, Q2 ? Q2 + m : NULL,  \
           F ? F + m : NULL, out + m, p->nu0, p->drag, ad, sg, dv, ln, fo, use_q2)
    if (use_adv && use_sgs && div && lin && !use_f)
      TROW(true, true, true, true, false); /* the LES */
    else if (use_adv && use_sgs && div && lin && use_f)
      TROW(true, true, true, true, true);
    else if (use_adv && !use_sgs && lin && !use_f)
      TROW(true, false, false, true, false);
    else
      TROW(use_adv, use_sgs, div, lin, use_f);
#undef TROW
  }
  return 0;
}

static int spec_lincomb(dashi_backend *b, dashi_field *dst, int n, const double *cf,
                        dashi_field *const *src) {
  cpu_impl *c = IMPL(b);
  const size_t len = 2 * spec_len(c->g);
  real_t *d = R(dst); /* may alias a source: element-wise, each read before its write */
  if (n > 8) return dashi_err(DASHI_ERR_GENERIC, "spec_lincomb: at most 8 terms");
  const real_t k0 = (real_t)cf[0], k1 = n > 1 ? (real_t)cf[1] : 0, k2 = n > 2 ? (real_t)cf[2] : 0;
  const real_t *s0 = R(src[0]), *s1 = n > 1 ? R(src[1]) : NULL, *s2 = n > 2 ? R(src[2]) : NULL;
  if (n == 2) {
    for (size_t m = 0; m < len; m++) {
      real_t acc = k0 * s0[m];
      acc += k1 * s1[m];
      d[m] = acc;
    }
  } else if (n == 3) {
    for (size_t m = 0; m < len; m++) {
      real_t acc = k0 * s0[m];
      acc += k1 * s1[m];
      acc += k2 * s2[m];
      d[m] = acc;
    }
  } else {
    const real_t *sv[8];
    real_t kv[8];
    for (int i = 0; i < n; i++) sv[i] = R(src[i]), kv[i] = (real_t)cf[i];
    for (size_t m = 0; m < len; m++) {
      real_t acc = kv[0] * sv[0][m];
      for (int i = 1; i < n; i++) acc += kv[i] * sv[i][m];
      d[m] = acc;
    }
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
    if (!isfinite(a))
      bad = 1;
    else if (a > m)
      m = a;
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
static int sync_noop(dashi_backend *b) {
  return 0;
}

static void destroy(dashi_backend *b) {
  cpu_impl *c = IMPL(b);
  FFTW(plan) ps[] = {c->r2c_rows, c->c2r_rows, c->cx_fwd, c->cx_bwd, c->cx_fwd1, c->cx_bwd1};
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
    if (ps[i]) FFTW(destroy_plan)(ps[i]);
  for (int n = 1; n <= MAXBATCH; n++) {
    if (c->rowsend[n]) MPI_Type_free(&c->rowsend[n]);
    if (c->scatter[n]) MPI_Type_free(&c->scatter[n]);
  }
  if (c->xbuf != c->rows) FFTW(free)(c->xbuf);
  FFTW(free)(c->rows);
  FFTW(free)(c->tmp);
  free(c->dealias);
  free(c->kx);
  free(c->rowk);
  FFTW(free)(c->rowz);
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
  snprintf(b->fft_library, sizeof b->fft_library, "%s (MPI slab transposes, %s)", FFTW(version),
           DASHI_SINGLE ? "single" : "double");
  snprintf(b->devices, sizeof b->devices, "cpu");
  c->g = g;
  int P = g->size, nb = P == 1 ? 1 : MAXBATCH;
  /* row strides: a multiple of FFTW's 32-byte alignment (every row plan-compatible), padded off
   * a power of two (power-of-two strides thrash the cache in the column gathers) */
  int al = (int)(32 / sizeof(cplx_t));
  c->rs = (H + 1 + al - 1) / al * al;
  c->rfield = (size_t)g->nx * c->rs;
  c->rows = FFTW(malloc)(sizeof(cplx_t) * nb * c->rfield);
  if (P == 1) {
    c->xs = c->rs, c->xfield = c->rfield, c->xbuf = c->rows;
  } else {
    c->xs = g->nky + 1, c->xfield = (size_t)N * c->xs;
    c->xbuf = FFTW(malloc)(sizeof(cplx_t) * MAXBATCH * c->xfield);
  }
  memset(c->rows, 0, sizeof(cplx_t) * nb * c->rfield);
  c->tmp = FFTW(malloc)(sizeof(cplx_t) * CB * (size_t)N);
  c->kx = malloc(sizeof(double) * N);
  c->rowk = malloc(sizeof(double) * N);
  c->rowz = FFTW(malloc)(sizeof(cplx_t) * N);
  c->dealias = malloc(sizeof(double) * spec_len(g));
  c->dealias_for.kind = (dashi_dealias_kind)-1;
  for (int bb = 0; bb < N; bb++) c->kx[bb] = dashi_kx(g, bb);
  real_t *rtmp = FFTW(malloc)(sizeof(real_t) * real_len(g));
  cplx_t *ctmp =
      FFTW(malloc)(sizeof(cplx_t) * (spec_len(g) > CB * (size_t)N ? spec_len(g) : CB * (size_t)N));
  unsigned fl = (unsigned)cfg->fftw_flags, flc = fl;
  /* plans run on other arrays (fields of the batch, spec rows): they must accept their alignment */
  if (FFTW(alignment_of)((real_t *)(c->rows + c->rfield)) != FFTW(alignment_of)((real_t *)c->rows))
    fl |= FFTW_UNALIGNED;
  if (FFTW(alignment_of)((real_t *)(ctmp + N)) != FFTW(alignment_of)((real_t *)ctmp))
    flc |= FFTW_UNALIGNED;
  c->r2c_rows =
      FFTW(plan_many_dft_r2c)(1, &N, g->nx, rtmp, NULL, 1, N, c->rows, NULL, 1, c->rs, fl);
  c->c2r_rows =
      FFTW(plan_many_dft_c2r)(1, &N, g->nx, c->rows, NULL, 1, c->rs, rtmp, NULL, 1, N, fl);
  /* along x on a contiguous block of columns: tmp [j][x] -> spec [ky][kx], and back */
  c->cx_fwd =
      FFTW(plan_many_dft)(1, &N, CB, c->tmp, NULL, 1, N, ctmp, NULL, 1, N, FFTW_FORWARD, flc);
  c->cx_bwd =
      FFTW(plan_many_dft)(1, &N, CB, ctmp, NULL, 1, N, c->tmp, NULL, 1, N, FFTW_BACKWARD, flc);
  c->cx_fwd1 =
      FFTW(plan_many_dft)(1, &N, 1, c->tmp, NULL, 1, N, ctmp, NULL, 1, N, FFTW_FORWARD, flc);
  c->cx_bwd1 =
      FFTW(plan_many_dft)(1, &N, 1, ctmp, NULL, 1, N, c->tmp, NULL, 1, N, FFTW_BACKWARD, flc);
  bool ok = c->r2c_rows && c->c2r_rows && c->cx_fwd && c->cx_bwd && c->cx_fwd1 && c->cx_bwd1;
  if (P > 1) {
    MPI_Datatype rt = DASHI_SINGLE ? MPI_FLOAT : MPI_DOUBLE, rblk, xblk;
    MPI_Type_vector(g->nx, 2 * g->nky, 2 * c->rs, rt, &rblk); /* one block in rows */
    MPI_Type_vector(g->nx, 2 * g->nky, 2 * c->xs, rt, &xblk); /* one block in xbuf */
    for (int k = 1; k <= MAXBATCH; k++) {
      MPI_Type_create_hvector(k, 1, (MPI_Aint)(sizeof(cplx_t) * c->rfield), rblk, &c->rowsend[k]);
      MPI_Type_commit(&c->rowsend[k]);
      MPI_Type_create_hvector(k, 1, (MPI_Aint)(sizeof(cplx_t) * c->xfield), xblk, &c->scatter[k]);
      MPI_Type_commit(&c->scatter[k]);
    }
    MPI_Type_free(&rblk);
    MPI_Type_free(&xblk);
  }
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

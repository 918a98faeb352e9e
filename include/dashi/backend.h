/* The backend seam: one table of operations on distributed fields. The solver (src/les) and the
 * proxy (src/proxy) are written against these operations only; the CPU backend (FFTW-MPI + C
 * loops) and the Vulkan backend (VkFFT + SPIR-V shaders) implement them. Every operation is
 * collective over the grid's communicator and returns 0 or a DASHI_ERR_* code.
 *
 * Conventions (SPEC §2): forward FFT unnormalized, inverse FFT scaled by 1/N^2; psi_hat =
 * w_hat/|k|^2, u_hat = i ky psi_hat, v_hat = -i kx psi_hat; Nyquist modes are zero in every
 * spectral field. Scalars cross the seam in double; fields are stored in the backend's precision.
 */
#ifndef DASHI_BACKEND_H
#define DASHI_BACKEND_H
#include <stdbool.h>
#include <stdint.h>

#include "dashi/grid.h"

typedef enum { DASHI_FIELD_REAL, DASHI_FIELD_SPEC } dashi_field_kind;

typedef struct dashi_field {
  dashi_field_kind kind;
  void *data; /* backend-owned */
} dashi_field;

/* Spectral operators applied by spec_derive: dst = op(k) * src. */
typedef enum {
  DASHI_OP_COPY, /* 1 */
  DASHI_OP_DX,   /* i kx */
  DASHI_OP_DY,   /* i ky */
  DASHI_OP_U,    /* i ky / |k|^2            (u from w) */
  DASHI_OP_V,    /* -i kx / |k|^2           (v from w) */
  DASHI_OP_S11,  /* i kx * i ky / |k|^2     (du/dx from w) */
  DASHI_OP_S12,  /* (kx^2 - ky^2)/(2|k|^2)  (S12 = (du/dy + dv/dx)/2 from w) */
  DASHI_OP_LAP,  /* -|k|^2 */
  DASHI_OP_PSI,  /* 1/|k|^2 */
} dashi_spec_op;

typedef enum { DASHI_SGS_FORM_DIV, DASHI_SGS_FORM_LAP } dashi_sgs_form;

/* Pointwise nonlinear kernel. in = {u, v, wx, wy[, s11, s12[, lap w]]}; out = {adv, q1[, q2]} with
 * adv = -(u wx + v wy); if smag > 0: nu_t = smag * 2 sqrt(s11^2 + s12^2) and
 * div form: q1 = nu_t wx, q2 = nu_t wy;  lap form: q1 = nu_t lap w (q2 unused). */
typedef struct {
  double smag; /* (Cs Delta)^2, 0 = no SGS */
  dashi_sgs_form form;
  /* nonlinear_products only, div form with SGS: out = {adv + i ky q2, q1} (nn = 2), for a caller
   * that needs only the whole right-hand side (spec_tendency with q2_in_adv) */
  bool fold_q2;
  /* nonlinear_products only (a diagnostics record: dashi_les_record_terms, on its own or riding
   * on a step's right-hand side, dashi_les_step_diag): also reduce, from the real fields the op
   * makes, diag[0] = max|u|, diag[1] = max|v| (NaN where a value is not finite, as real_maxabs) and
   * diag[2] = <nu_t> (0 without SGS), deferrable like the other reductions; with fold_q2, out[2]
   * gets q2 as well (nn = 3; out[0] and out[1] exactly as without it), for the SGS term alone */
  double *diag;
} dashi_sgs_params;

/* Spectral tendency: rhs = D(k) [a*adv + s*sgs(q1,q2)] - v*(nu0 |k|^2 + drag) w + f*force. */
typedef struct {
  dashi_dealias dealias;
  dashi_sgs_form form;
  double nu0, drag;
  bool with_adv, with_sgs, with_linear, with_force;
  /* div form, with_adv and with_sgs: adv holds adv + i ky q2 (nonlinear_products with fold_q2)
   * and q2 is not read */
  bool q2_in_adv;
} dashi_tend_params;

typedef struct dashi_backend dashi_backend;

typedef enum { DASHI_DEFER_BEGIN, DASHI_DEFER_END, DASHI_DEFER_DISCARD } dashi_defer;

struct dashi_backend_ops {
  void (*destroy)(dashi_backend *b);
  int (*field_create)(dashi_backend *b, dashi_field_kind kind, dashi_field **f);
  void (*field_destroy)(dashi_backend *b, dashi_field *f);
  int (*fft_forward)(dashi_backend *b, int n, dashi_field *const *real, dashi_field *const *spec);
  int (*fft_inverse)(dashi_backend *b, int n, dashi_field *const *spec, dashi_field *const *real);
  int (*spec_derive)(dashi_backend *b, const dashi_field *src, int n, const dashi_spec_op *ops,
                     dashi_field *const *dst);
  /* nu_t_mean (nullable) receives the global mean of nu_t */
  int (*nonlinear_pointwise)(dashi_backend *b, const dashi_sgs_params *p, dashi_field *const *in,
                             dashi_field *const *out, double *nu_t_mean);
  int (*spec_tendency)(dashi_backend *b, const dashi_tend_params *p, const dashi_field *w,
                       const dashi_field *adv, const dashi_field *q1, const dashi_field *q2,
                       const dashi_field *force, dashi_field *rhs);
  /* dst = sum_i c[i] src[i]; dst may be one of src */
  int (*spec_lincomb)(dashi_backend *b, dashi_field *dst, int n, const double *c,
                      dashi_field *const *src);
  /* f *= D(k) (and Nyquist modes zeroed) */
  int (*spec_filter)(dashi_backend *b, const dashi_dealias *d, dashi_field *f);
  /* global <a b> (real-space mean of the product, by Parseval) */
  int (*spec_dot)(dashi_backend *b, const dashi_field *x, const dashi_field *y, double *out);
  /* out = {E, Z, P} = 1/2 <u^2+v^2>, 1/2 <w^2>, 1/2 <|grad w|^2> */
  int (*spec_moments)(dashi_backend *b, const dashi_field *w, double out[3]);
  /* shell energy spectrum, k = 0..N/2 (N/2+1 values, global) */
  int (*spec_shells)(dashi_backend *b, const dashi_field *w, double *Ek);
  /* global max |f| */
  int (*real_maxabs)(dashi_backend *b, const dashi_field *f, double *out);
  /* ring forcing: w_hat += amp * xi(seed, step, mode) on the shell |k| in [kf-dk, kf+dk] */
  int (*spec_ring_kick)(dashi_backend *b, uint64_t seed, int64_t step, double kf, double dk,
                        double amp, dashi_field *w);
  /* canonical host layouts: spectral [nky][N][2] double, real [nx][N] double */
  int (*spec_get)(dashi_backend *b, const dashi_field *f, double *canon);
  int (*spec_put)(dashi_backend *b, dashi_field *f, const double *canon);
  int (*real_get)(dashi_backend *b, const dashi_field *f, double *slab);
  int (*real_put)(dashi_backend *b, dashi_field *f, const double *slab);
  /* optional (NULL: real_get): real [nx][N] in the backend's own precision (float when single),
   * no conversion on the host (the truth file's snapshots: HDF5 stores them in that precision) */
  int (*real_get_native)(dashi_backend *b, const dashi_field *f, void *slab);
  /* wait for queued device work (no-op on CPU) */
  int (*sync)(dashi_backend *b);
  /* optional (NULL: nothing to do): the solver finished a time step (-gpu_steps_per_submit) */
  int (*step_end)(dashi_backend *b);
  /* optional (NULL: the solver calls the four ops): the nonlinear products in one op, out[0..nn)
   * = fft_forward(nonlinear_pointwise(fft_inverse(spec_derive(w, ops)))) without nu_t_mean,
   * ops = {U, V, DX, DY[, S11, S12[, LAP]]} as nonlinear_pointwise takes them; the spectral
   * sd[0..nd) are scratch (overwritten); the band hints apply as to those ops */
  int (*nonlinear_products)(dashi_backend *b, const dashi_sgs_params *p, const dashi_field *w,
                            int nd, const dashi_spec_op *ops, dashi_field *const *sd, int nn,
                            dashi_field *const *out);
  /* optional (NULL: every result at once): between reductions_defer(b, DASHI_DEFER_BEGIN) and
   * (b, DASHI_DEFER_END) the scalar reductions (spec_dot, spec_moments, real_maxabs,
   * nonlinear_pointwise's nu_t_mean) may write their outputs only in the closing call, which
   * takes them all with one wait for the device (collective); the caller reads none of them
   * before it. DASHI_DEFER_DISCARD, after an error in between, drops them (local, no wait). */
  int (*reductions_defer)(dashi_backend *b, dashi_defer mode);
};

struct dashi_backend {
  const struct dashi_backend_ops *ops;
  const dashi_grid *grid;
  const char *name;   /* "cpu" / "vulkan" */
  bool single;        /* single precision */
  bool out_of_memory; /* the last failure of an op was for want of device memory (Vulkan) */
  char fft_library[768];
  char devices[512]; /* device names (this rank) */
  void *impl;
  /* Band hints the solver sets around its transforms (0 = none; a backend may ignore them).
   * fft_band_in = K: the spectral inputs of fft_inverse and spec_derive are zero wherever
   * |kx| > K or |ky| > K, and spec_derive's outputs are read there only by fft_inverse (so
   * neither needs to touch those modes). fft_band_out = K: only the modes |kx|, |ky| <= K of
   * fft_forward's outputs will be read (the others may be left as they were). */
  int fft_band_in, fft_band_out;
};

typedef struct {
  const char *name; /* cpu | vulkan */
  bool single;
  int fftw_flags;       /* FFTW planner flags for the CPU backend */
  int vk_device;        /* -1 = node-local rank modulo device count */
  int steps_per_submit; /* Vulkan: submit after every k time steps (0 = automatic) */
  /* Vulkan: the node-local rank of the automatic device choice is taken in *place (NULL: the
   * grid's communicator; the proxy's backends sit on one-rank grids), and device errors name
   * the option `opt` (NULL: "-backend") */
  const MPI_Comm *place;
  const char *opt;
  /* Vulkan: a GPU timestamp after every command, for the stage times of -log_view
   * (dashi_vulkan_stage_times; also DASHI_VK_PROFILE=1) */
  bool timestamps;
} dashi_backend_config;

int dashi_backend_create(const dashi_grid *g, const dashi_backend_config *cfg, dashi_backend **b);
void dashi_backend_destroy(dashi_backend *b);

/* Implementations (selected by dashi_backend_create). */
int dashi_cpu_backend_create_f64(const dashi_grid *g, const dashi_backend_config *cfg,
                                 dashi_backend **b);
int dashi_cpu_backend_create_f32(const dashi_grid *g, const dashi_backend_config *cfg,
                                 dashi_backend **b);

/* Mode-level helpers shared by all backends (pure functions of the global mode). */
/* ring forcing noise at half-plane mode (kx, ky): Hermitian on ky = 0, 0 off the shell */
void dashi_ring_mode(uint64_t seed, int64_t step, int kx, int ky, double kf, double dk,
                     double out[2]);
/* 1/|k|^2 with 0 at k = 0 */
static inline double dashi_inv_k2(int kx, int ky) {
  int k2 = kx * kx + ky * ky;
  return k2 ? 1.0 / k2 : 0.0;
}

#endif

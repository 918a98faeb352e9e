/* The DASHI v4 reduced model (SPEC §3-§7): encoding a vorticity field into a proxy state z,
 * learning the linear operator z_{t+1} = z_t A, batched ensemble rollouts, the deterministic
 * decode with the ternary carrier, and scores against the truth.
 *
 * Normalization: every Fourier coefficient in z is the *physical* coefficient c_k = w_hat(k)/N^2
 * (w(x) = sum_k c_k e^{i k.x}), so that z does not depend on the grid it was encoded from and can
 * be decoded at any resolution. Energies are real-space means (1/2 <r^2>, Parseval). */
#ifndef DASHI_PROXY_H
#define DASHI_PROXY_H
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

#include "dashi/backend.h"
#include "dashi/grid.h"
#include "dashi/options.h"

#define DASHI_PROXY_ID "dashi_v4"

typedef struct {
  int N; /* truth grid the proxy encodes (box filter, support fraction and tie order use it) */
  int k_cut, mid_cut, topk, smooth_k;
  double tau;
} dashi_proxy_config;

typedef struct {
  int kx, ky;
} dashi_mode;

/* Mode sets in the non-redundant half plane (ky > 0, or ky = 0 and kx > 0), each ordered by ky,
 * then kx. z = [Re lowk(L), Im lowk(L), support_frac, E_mid, E_high, K, Re kept, Im kept]. */
typedef struct {
  dashi_proxy_config cfg;
  int nL, nM, K, D; /* K = min(topk, nM) */
  dashi_mode *L, *M;
  dashi_mode *anchors; /* K anchors (valid once frozen) */
  bool frozen;
} dashi_proxy_layout;

enum { DASHI_HDR_SUPPORT = 0, DASHI_HDR_EMID = 1, DASHI_HDR_EHIGH = 2, DASHI_HDR_K = 3 };
static inline int dashi_z_hdr(const dashi_proxy_layout *l) {
  return 2 * l->nL;
}
static inline int dashi_z_kept(const dashi_proxy_layout *l) {
  return 2 * l->nL + 4;
}

int dashi_proxy_config_from_options(const dashi_options *o, int N, dashi_proxy_config *c);
/* validate the configuration and build L and M (anchors not yet chosen) */
int dashi_proxy_layout_init(const dashi_proxy_config *c, dashi_proxy_layout *l);
/* freeze the anchors (K modes of M, any order; stored ordered by ky, then kx) */
int dashi_proxy_layout_set_anchors(dashi_proxy_layout *l, int K, const dashi_mode *a);
void dashi_proxy_layout_free(dashi_proxy_layout *l);
/* 0 when a and b have the same configuration and anchors; otherwise DASHI_ERR_INPUT with a
 * message naming what differs (what_a / what_b name the two sources) */
int dashi_proxy_layout_compare(const dashi_proxy_layout *a, const char *what_a,
                               const dashi_proxy_layout *b, const char *what_b);
/* configuration + anchors as JSON text (caller frees) */
char *dashi_proxy_config_json(const dashi_proxy_layout *l);
/* box-filter transfer function H(k) of smooth_k cells on an N grid (complex) */
void dashi_box_transfer(int N, int w, int k, double out[2]);

/* ---- encoder (collective over the grid's communicator) ---- */
typedef struct dashi_encoder dashi_encoder;
int dashi_encoder_create(dashi_proxy_layout *l, const dashi_grid *g, dashi_encoder **e);
void dashi_encoder_destroy(dashi_encoder *e);
/* canon: this rank's rows [nky][N][2] of w_hat (unnormalized forward FFT); slab: the same field in
 * real space [nx][N]. On the first call of an unfrozen layout the anchors are chosen (top-K
 * |R_hat|^2 on M; ties: lower flat index ky*N + (kx mod N) first) and frozen. z (D values) on every
 * rank. */
int dashi_encode(dashi_encoder *e, const double *canon, const double *slab, double *z);
/* the field truncated spectrally to resolution n (|kx|, |ky| < n/2), as the canonical layout of an
 * n-grid [n/2][n][2] (unnormalized at n: scaled by n^2/N^2), gathered on rank `root` of g->comm */
int dashi_truncate_gather(const dashi_grid *g, const double *canon, int n, double *out, int root);

/* ---- learning (collective over comm; Z, Zp replicated, row-major T x D) ---- */
typedef struct {
  double ridge; /* relative to the mean diagonal of Z^T Z (of the standardized Z) */
  bool standardize;
} dashi_learn_opts;

typedef struct {
  int T, D;
  double ridge, lambda;
  bool standardize;
  int zero_columns;        /* columns identically zero in the window (left unscaled) */
  int rank;                /* numerical rank of Z^T Z */
  bool rank_deficient;     /* rank < D: only the ridge makes the system solvable */
  double eig_min, eig_max; /* of G + lambda I (the matrix that is factored) */
  double cond;             /* eig_max / eig_min */
  double residual;         /* ||Z A - Z'||_F */
  double rel_residual;     /* residual / ||Z'||_F */
  double spectral_radius;  /* max |eig(A)| */
  double seconds;
} dashi_fit_report;

int dashi_learn(MPI_Comm comm, int T, int D, const double *Z, const double *Zp,
                const dashi_learn_opts *o, double *A, dashi_fit_report *r);
/* one line per item, for logs */
void dashi_fit_report_print(MPI_Comm comm, const dashi_fit_report *r);

/* ---- ensemble rollouts ---- */
typedef enum { DASHI_NOISE_ISO, DASHI_NOISE_LOWK, DASHI_NOISE_ANCHORS } dashi_noise_mode;
int dashi_noise_mode_parse(const char *s, dashi_noise_mode *m);

/* member `member` of z0: z0 + sigma * r_g * xi(seed, member, component) on the perturbed groups
 * (iso: lowk, the three evolving header values, anchors; lowk: lowk only; anchors: kept only),
 * r_g = RMS of z0 over group g. K is never perturbed. */
void dashi_perturb(const dashi_proxy_layout *l, const double *z0, double sigma,
                   dashi_noise_mode mode, uint64_t seed, int64_t member, double *z);

typedef struct {
  MPI_Comm comm;
  int rank, size;
  int M, m, m0; /* members in all, on this rank, first one of this rank */
  int D;
  const double *A; /* D x D, row-major, z_{t+1} = z_t A */
  double *Z, *Zn;  /* m x D row-major */
  int64_t steps;   /* rollout steps done */
  /* -proxy_backend vulkan (dashi_ensemble_use_gpu): the states live on the device and Z is a
   * copy made by dashi_ensemble_host */
  struct dashi_vk_rollout *gpu;
  bool host_stale;  /* the device's states are newer than Z */
  int64_t gpu_base; /* steps at the last upload */
} dashi_ensemble;

/* M must be a multiple of the communicator size */
int dashi_ensemble_create(MPI_Comm comm, int M, int D, const double *A, dashi_ensemble **e);
void dashi_ensemble_destroy(dashi_ensemble *e);
int dashi_ensemble_init(dashi_ensemble *e, const dashi_proxy_layout *l, const double *z0,
                        double sigma, dashi_noise_mode mode, uint64_t seed);
/* Z <- Z A (one BLAS gemm); a non-finite value on any rank is DASHI_ERR_NUMERICS (collective) */
int dashi_ensemble_step(dashi_ensemble *e);
/* -proxy_backend vulkan: from now on the steps run on a GPU (shaders/roll_gemm.comp, fp64); the
 * current Z is uploaded and dashi_ensemble_init uploads the members it makes. Collective; no
 * usable device is DASHI_ERR_DEVICE, never a fallback. vk_device: -1 = node-local rank within
 * comm modulo the GPU count. */
int dashi_ensemble_use_gpu(dashi_ensemble *e, int vk_device);
/* n steps (CPU: n dashi_ensemble_step; GPU: recorded in one go, one wait at the end). The first
 * non-finite state is the DASHI_ERR_NUMERICS of dashi_ensemble_step, naming the same member and
 * step (the lowest member at the first step where any member is non-finite). Collective. */
int dashi_ensemble_advance(dashi_ensemble *e, int64_t n);
/* make Z this rank's current states (GPU: one download if they changed on the device) */
int dashi_ensemble_host(dashi_ensemble *e);
/* the GPU this rank's rollouts run on, in words ("" on the CPU) */
const char *dashi_ensemble_device(const dashi_ensemble *e);
/* reference: z <- z A with one gemv (tests) */
void dashi_rollout_gemv(int D, const double *A, double *z, double *tmp);

/* ---- ternary carrier (pure functions on an n x n periodic grid, index [x][y]) ---- */
/* s = sign(w) where |w| > tau max|w|, else 0; returns the supported count */
int dashi_carrier_threshold(int n, const double *w, double tau, int8_t *s, double *maxabs);
/* 3x3 majority among supported cells (the cell itself included); ties project to 0 */
int dashi_carrier_majority(int n, const int8_t *in, int8_t *out);
/* annihilation until fewer than `plateau` cells change or max_iters; history[i] = cells switched
 * off in iteration i; returns the supported count; tmp: n*n scratch */
int dashi_carrier_annihilate(int n, int8_t *s, int8_t *tmp, int plateau, int max_iters,
                             int *history, int *iters_done);

enum { DASHI_COOL_MAX = 3, DASHI_LIFE_DECAY = 1 };
typedef struct {
  int n;
  uint16_t *life;
  uint8_t *cool, *killed;
  long long killed_total;
  uint32_t *hist; /* 65536 bins for the p95 */
} dashi_fining;
typedef struct {
  int alive, killed_now;
  long long killed_total;
  double mean_life; /* over alive cells */
  int p95_life;     /* over alive cells */
} dashi_fining_stats;
int dashi_fining_create(int n, dashi_fining **f);
void dashi_fining_destroy(dashi_fining *f);
/* killed cells are forced to 0 in s, then life/cool are updated per SPEC §6.5 */
void dashi_fining_update(dashi_fining *f, int8_t *s, dashi_fining_stats *st);

/* ---- decode (per rank, on MPI_COMM_SELF) ---- */
typedef struct {
  int n; /* decode_N */
  double tau;
  int plateau, iters;
  bool residual; /* -decode_residual carrier */
} dashi_decode_params;

typedef struct {
  double max_lp;
  int support, after_majority, after_annihilation, annih_iters;
  dashi_fining_stats fin;
  double e_target, gain;
  bool residual_skipped; /* target energy <= 0 or no carrier cell: no residual added */
} dashi_decode_stats;

/* -decode_N, -plateau, -annihilate_iters valid for this layout, anchors frozen (CPU and GPU
 * decoders) */
int dashi_decode_params_check(const dashi_proxy_layout *l, const dashi_decode_params *p);
typedef struct dashi_decoder dashi_decoder;
int dashi_decoder_create(const dashi_proxy_layout *l, const dashi_decode_params *p,
                         dashi_decoder **d);
void dashi_decoder_destroy(dashi_decoder *d);
/* low-pass field of z (step 1), omega [n][n] */
int dashi_decode_lowpass(dashi_decoder *d, const double *z, double *omega);
/* the full decode of SPEC §6; history gets the annihilation counts (p->iters entries) */
int dashi_decode(dashi_decoder *d, const double *z, dashi_fining *f, double *omega,
                 dashi_decode_stats *st, int *history);
/* real field [n][n] of a canonical n-grid spectrum [n/2][n][2] */
int dashi_decoder_real(dashi_decoder *d, const double *canon, double *omega);
/* E = 1/2<u^2+v^2> (spectral), Z = 1/2<w^2>, shell spectrum Ek[0..n/2] of a real field */
int dashi_decoder_moments(dashi_decoder *d, const double *omega, double *E, double *Z, double *Ek);
int dashi_decoder_n(const dashi_decoder *d);

/* ---- scores (SPEC §7) ---- */
enum {
  DASHI_SC_REL_L2,
  DASHI_SC_CORR,
  DASHI_SC_DE,
  DASHI_SC_DZ,
  DASHI_SC_SPEC,
  DASHI_SC_ZERR,
  DASHI_NSCORES
};
extern const char *const dashi_score_names[DASHI_NSCORES];
typedef struct {
  const double *omega, *Ek;
  double E, Z;
} dashi_field_summary;
void dashi_score(int n, const dashi_field_summary *dec, const dashi_field_summary *tru,
                 double *scores);
/* ||zp - zt|| / ||zt|| over every component but the constant K */
double dashi_z_error(const dashi_proxy_layout *l, const double *zp, const double *zt);

/* ---- carrier statistics recorded per decode ---- */
enum {
  DASHI_CS_SUPPORT,
  DASHI_CS_MAJORITY,
  DASHI_CS_ANNIHILATED,
  DASHI_CS_ITERS,
  DASHI_CS_ALIVE,
  DASHI_CS_MEAN_LIFE,
  DASHI_CS_P95_LIFE,
  DASHI_CS_KILLED,
  DASHI_CS_GAIN,
  DASHI_CS_ETARGET,
  DASHI_CS_SKIPPED,
  DASHI_NCSTATS
};
extern const char *const dashi_cstat_names[DASHI_NCSTATS];
void dashi_cstats_fill(const dashi_decode_stats *st, double *out);

/* ---- the ensemble phase: rollouts, decodes at score times, scores, baselines ---- */
typedef struct {
  int members;
  double noise;
  dashi_noise_mode noise_mode;
  uint64_t seed;
  dashi_decode_params dp;
  int save_decoded; /* decoded fields of the first members kept at every score time */
  bool kernel_only; /* no truth: carrier statistics only */
  bool gpu;         /* -proxy_backend vulkan: rollouts and decodes on the GPU */
  int vk_device;    /* -vk_device (-1: node-local rank modulo the GPU count) */
} dashi_ens_params;

/* Records of the ensemble phase (all complete on rank 0 of the proxy communicator after
 * dashi_ens_gather). Index [member][score time][...] for per-member arrays. */
typedef struct {
  int M, D, n, iters, ns, cap, nsave;
  int64_t start_step, *step;
  double start_time, *time;
  double *z0;          /* unperturbed start state */
  double *scores;      /* [M][cap][NSCORES] */
  double *cstats;      /* [M][cap][NCSTATS] */
  int *history;        /* [M][cap][iters] */
  double *base_scores; /* [2][cap][NSCORES]: persistence, encode->decode */
  double *base_cstats; /* [2][cap][NCSTATS] */
  double *z_mean;      /* [cap][D] ensemble mean */
  double *z_true;      /* [cap][D] (truth runs) */
  double *decoded;     /* [cap][nsave][n][n] */
  double *truth;       /* [cap][n][n] truncated truth (truth runs, when nsave > 0) */
  bool gathered;
} dashi_ens_records;

typedef struct dashi_ens_run dashi_ens_run;
int dashi_ens_run_create(MPI_Comm comm, const dashi_proxy_layout *l, const double *A,
                         const dashi_ens_params *p, dashi_ens_run **r);
void dashi_ens_run_destroy(dashi_ens_run *r);
/* members from z0 (the truth's encoding at the start) */
int dashi_ens_run_start(dashi_ens_run *r, const double *z0, int64_t step, double time);
/* one rollout step (collective) */
int dashi_ens_run_advance(dashi_ens_run *r);
/* n rollout steps (collective; on the GPU one submit and one wait) */
int dashi_ens_run_advance_n(dashi_ens_run *r, int64_t n);
/* decode every member and score it (collective). truth_canon: the truth at decode_N as a
 * canonical n-grid spectrum and z_true its encoding (both NULL with kernel_only); replicated. */
int dashi_ens_run_score(dashi_ens_run *r, int64_t step, double time, const double *truth_canon,
                        const double *z_true);
/* collect the per-member records on rank 0 (collective); returns the records */
int dashi_ens_run_gather(dashi_ens_run *r, const dashi_ens_records **rec);
const dashi_ens_records *dashi_ens_run_records(const dashi_ens_run *r);
int64_t dashi_ens_run_steps(const dashi_ens_run *r);
/* member means of rel_l2 and corr at the last score time (collective; NaN without truth) */
int dashi_ens_run_last_mean(const dashi_ens_run *r, double out[2]);
/* summary of the last score time on rank 0 */
void dashi_ens_run_print(const dashi_ens_run *r);

#endif

/* Ensemble kernel rollouts (SPEC §5): M members distributed over the proxy ranks, Z <- Z A as one
 * BLAS gemm per step (PETSc's BLAS wrapper). Members are independent columns of the product, so a
 * member's trajectory does not depend on how the members are distributed. With
 * -proxy_backend vulkan (dashi_ensemble_use_gpu) the same steps run on a GPU
 * (src/backend/vulkan/vk_rollout.c) and the states come to the host only when asked for. */
#include <limits.h>
#include <math.h>
#include <petscsys.h>
#include <petscblaslapack.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy.h"
#include "dashi/rng.h"
#if DASHI_WITH_VULKAN
#include "dashi/vk_proxy.h"
#endif

int dashi_noise_mode_parse(const char *s, dashi_noise_mode *m) {
  if (!strcmp(s, "iso"))
    *m = DASHI_NOISE_ISO;
  else if (!strcmp(s, "lowk"))
    *m = DASHI_NOISE_LOWK;
  else if (!strcmp(s, "anchors"))
    *m = DASHI_NOISE_ANCHORS;
  else
    return dashi_err(DASHI_ERR_USAGE, "-noise_mode %s: expected iso, lowk or anchors", s);
  return 0;
}

static double group_rms(const double *z, int a, int b) {
  double s = 0;
  for (int i = a; i < b; i++) s += z[i] * z[i];
  return b > a ? sqrt(s / (b - a)) : 0.0;
}

void dashi_perturb(const dashi_proxy_layout *l, const double *z0, double sigma,
                   dashi_noise_mode mode, uint64_t seed, int64_t member, double *z) {
  memcpy(z, z0, sizeof(double) * (size_t)l->D);
  if (sigma == 0) return;
  int hdr = dashi_z_hdr(l), kept = dashi_z_kept(l);
  /* groups [from, to) and whether they are perturbed */
  int from[3] = {0, hdr, kept}, to[3] = {hdr, hdr + DASHI_HDR_K, l->D};
  bool on[3] = {mode != DASHI_NOISE_ANCHORS, mode == DASHI_NOISE_ISO, mode != DASHI_NOISE_LOWK};
  for (int gi = 0; gi < 3; gi++) {
    if (!on[gi]) continue;
    double s = sigma * group_rms(z0, from[gi], to[gi]);
    for (int i = from[gi]; i < to[gi]; i++) {
      double xi[2];
      dashi_gauss2(seed, DASHI_RNG_ENSEMBLE, (uint64_t)member, (uint32_t)(i / 2), xi);
      z[i] += s * xi[i % 2];
    }
  }
}

int dashi_ensemble_create(MPI_Comm comm, int M, int D, const double *A, dashi_ensemble **out) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (M < 1) return dashi_err(DASHI_ERR_USAGE, "-members %d must be >= 1", M);
  if (M % size)
    return dashi_err(DASHI_ERR_USAGE,
                     "-members %d is not divisible by the %d proxy rank(s): choose a multiple of "
                     "%d (members are distributed evenly over the proxy ranks)",
                     M, size, size);
  dashi_ensemble *e = calloc(1, sizeof *e);
  e->comm = comm, e->rank = rank, e->size = size;
  e->M = M, e->m = M / size, e->m0 = rank * e->m, e->D = D, e->A = A;
  e->Z = calloc((size_t)e->m * D, sizeof(double));
  e->Zn = calloc((size_t)e->m * D, sizeof(double));
  if (!e->Z || !e->Zn) {
    dashi_ensemble_destroy(e);
    return dashi_err(DASHI_ERR_GENERIC, "out of memory for %d members of dimension %d", M, D);
  }
  *out = e;
  return 0;
}

void dashi_ensemble_destroy(dashi_ensemble *e) {
  if (!e) return;
#if DASHI_WITH_VULKAN
  dashi_vk_rollout_destroy(e->gpu);
#endif
  free(e->Z);
  free(e->Zn);
  free(e);
}

static int diverged(const dashi_ensemble *e, int first);

/* ---- -proxy_backend vulkan: the same steps on the GPU (include/dashi/vk_proxy.h) ---- */
#if DASHI_WITH_VULKAN
static int upload(dashi_ensemble *e) {
  int rc = dashi_vk_rollout_upload(e->gpu, e->Z);
  e->gpu_base = e->steps;
  e->host_stale = false;
  return dashi_err_agree(e->comm, rc);
}

int dashi_ensemble_use_gpu(dashi_ensemble *e, int vk_device) {
  int rc = dashi_vk_rollout_create(e->comm, vk_device, e->m, e->D, e->A, &e->gpu);
  rc = dashi_err_agree(e->comm, rc);
  if (rc) {
    dashi_vk_rollout_destroy(e->gpu);
    e->gpu = NULL;
    return rc;
  }
  return upload(e);
}

/* n steps in one go; then the first failing step over the ranks and the lowest member failing at
 * that step, as dashi_ensemble_step finds them one step at a time */
static int gpu_advance(dashi_ensemble *e, int64_t n) {
  PetscLogEventBegin(dashi_ev_rollout, 0, 0, 0, 0);
  int64_t bad_step = 0;
  int bad_row = -1;
  int rc = dashi_vk_rollout_run(e->gpu, n, &bad_step, &bad_row);
  PetscLogEventEnd(dashi_ev_rollout, 0, 0, 0, 0);
  e->host_stale = true;
  DASHI_CALL(dashi_err_agree(e->comm, rc));
  long long mine = bad_step > 0 ? (long long)(e->gpu_base + bad_step) : LLONG_MAX, first;
  DASHI_MPI(MPI_Allreduce(&mine, &first, 1, MPI_LONG_LONG, MPI_MIN, e->comm));
  if (first == LLONG_MAX) {
    e->steps += n;
    return 0;
  }
  int mm = mine == first ? e->m0 + bad_row : INT_MAX, member;
  DASHI_MPI(MPI_Allreduce(&mm, &member, 1, MPI_INT, MPI_MIN, e->comm));
  e->steps = first;
  return diverged(e, member);
}

const char *dashi_ensemble_device(const dashi_ensemble *e) {
  return e->gpu ? dashi_vk_rollout_device(e->gpu) : "";
}

int dashi_ensemble_host(dashi_ensemble *e) {
  if (!e->gpu || !e->host_stale) return 0;
  int rc = dashi_vk_rollout_download(e->gpu, e->Z);
  if (!rc) e->host_stale = false;
  return rc;
}
#else
static int upload(dashi_ensemble *e) {
  return 0;
}
const char *dashi_ensemble_device(const dashi_ensemble *e) {
  return "";
}
int dashi_ensemble_use_gpu(dashi_ensemble *e, int vk_device) {
  return dashi_err(DASHI_ERR_DEVICE,
                   "-proxy_backend vulkan: this dashi was built without the Vulkan backend "
                   "(reconfigure with -DDASHI_WITH_VULKAN=ON); dashi never falls back on its own: "
                   "run with -proxy_backend cpu");
}
static int gpu_advance(dashi_ensemble *e, int64_t n) {
  return dashi_err(DASHI_ERR_GENERIC, "internal error: GPU rollout in a build without Vulkan");
}
int dashi_ensemble_host(dashi_ensemble *e) {
  return 0;
}
#endif

int dashi_ensemble_init(dashi_ensemble *e, const dashi_proxy_layout *l, const double *z0,
                        double sigma, dashi_noise_mode mode, uint64_t seed) {
  if (l->D != e->D)
    return dashi_err(DASHI_ERR_INPUT, "ensemble: D=%d but the layout has D=%d", e->D, l->D);
  if (!(sigma >= 0)) return dashi_err(DASHI_ERR_USAGE, "-noise %g must be >= 0", sigma);
  for (int j = 0; j < e->m; j++)
    dashi_perturb(l, z0, sigma, mode, seed, e->m0 + j, e->Z + (size_t)j * e->D);
  e->steps = 0;
  return e->gpu ? upload(e) : 0;
}

static int diverged(const dashi_ensemble *e, int first) {
  return dashi_err(DASHI_ERR_NUMERICS,
                   "rollout diverged: member %d has non-finite proxy state after %lld rollout "
                   "step(s) (the learned operator amplifies; check its spectral radius in the "
                   "fit report, raise -ridge or shorten the rollout); results up to the previous "
                   "score time are kept",
                   first, (long long)e->steps);
}

int dashi_ensemble_step(dashi_ensemble *e) {
  if (e->gpu) return gpu_advance(e, 1);
  PetscLogEventBegin(dashi_ev_rollout, 0, 0, 0, 0);
  PetscBLASInt D = e->D, m = e->m;
  double one = 1.0, zero = 0.0;
  /* row-major Z (m x D) is Z^T column-major; (Z A)^T = A^T Z^T and row-major A is A^T col-major */
  BLASgemm_("N", "N", &D, &m, &D, &one, e->A, &D, e->Z, &D, &zero, e->Zn, &D);
  double *t = e->Z;
  e->Z = e->Zn, e->Zn = t;
  e->steps++;
  int bad = -1;
  for (size_t k = 0; k < (size_t)e->m * e->D && bad < 0; k++)
    if (!isfinite(e->Z[k])) bad = e->m0 + (int)(k / e->D);
  PetscLogEventEnd(dashi_ev_rollout, 0, 0, 0, 0);
  int first;
  int mine = bad < 0 ? 1 << 30 : bad;
  DASHI_MPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, e->comm));
  if (first < 1 << 30) return diverged(e, first);
  return 0;
}

int dashi_ensemble_advance(dashi_ensemble *e, int64_t n) {
  if (e->gpu) return n > 0 ? gpu_advance(e, n) : 0;
  for (int64_t s = 0; s < n; s++) DASHI_CALL(dashi_ensemble_step(e));
  return 0;
}

void dashi_rollout_gemv(int D, const double *A, double *z, double *tmp) {
  PetscBLASInt n = D, inc = 1;
  double one = 1.0, zero = 0.0;
  BLASgemv_("N", &n, &n, &one, A, &n, z, &inc, &zero, tmp, &inc);
  memcpy(z, tmp, sizeof(double) * (size_t)D);
}

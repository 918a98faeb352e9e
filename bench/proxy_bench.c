/* dashi-proxy-bench: throughput of the DASHI proxy kernels on the CPU (docs/proxy.md).
 *
 *   mpiexec -n P dashi-proxy-bench [-members 1,64,1024] [-decode_N 256] [-decodes 64] [-seconds 2]
 *                                  [-les_N 256]
 *
 * Rollouts: member-steps/s of Z <- Z A (one BLAS gemm per step, members distributed over the P
 * ranks) at the default proxy dimension D (k_cut 8, mid_cut 12, topk 128). Decodes:
 * member-decodes/s of the full decode (low-pass inverse FFT, threshold, majority, annihilation,
 * fining, carrier residual) at decode_N, on one rank, and the same with the scoring moments (one
 * more forward FFT). The states are a real encoded field: the random initial condition of the LES
 * at N = 256, encoded, perturbed and rolled out a few steps. LES side: the cost of one encoded
 * frame in `dashi run` (spec_get, the inverse FFT for the support fraction, the encoder) against
 * one LES step (RK2, Smagorinsky) at -les_N on the P ranks (0 = skip).
 *
 * -proxy_backend vulkan [-vk_device I] [-fp64_peak_tflops T] [-gpu_seconds 0.5]: the rollout
 * table is the GPU rollout's instead (shaders/roll_gemm.comp, fp64; members over the ranks, one
 * device per rank): batches of steps recorded in one go, timed from the first recorded step to the
 * host's wait on the last one (the GPU synced), at least -gpu_seconds per M; GFLOP/s = 2 D^2
 * member-steps/s, and the fraction of T TFLOP/s when given (H200/H100 fp64 vector: ~34).
 *
 * -gpu_decode [-gpu_decode_members 1,64,256] [-vk_device I] [-gpu_seconds 0.5]: before the CPU
 * decode table, member-decodes/s of the GPU decode (include/dashi/vk_decode.h) at decode_N with
 * m members per submit, including the read-back of omega (rank 0, at least -gpu_seconds per m). */
#include <fftw3.h>
#include <math.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/les.h"
#include "dashi/log.h"
#include "dashi/proxy.h"
#include "dashi/rng.h"
#ifdef DASHI_WITH_VULKAN
#include "dashi/vk_decode.h"
#endif

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    int rc_ = (x);                                                                                 \
    if (rc_) {                                                                                     \
      fprintf(stderr, "dashi-proxy-bench: %s: %s\n", #x, dashi_err_msg());                         \
      MPI_Abort(MPI_COMM_WORLD, rc_);                                                              \
    }                                                                                              \
  } while (0)

/* the LES at N on comm (default configuration, double-precision CPU backend) in its random
 * initial state; g is the caller's, for the backend and the solver keep a pointer to it */
static void cpu_les_create(MPI_Comm comm, int N, dashi_grid *g, dashi_backend **b, dashi_les **s) {
  CHECK(dashi_grid_create(comm, N, g));
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  CHECK(dashi_backend_create(g, &bc, b));
  dashi_les_config c;
  CHECK(dashi_les_config_default(N, &c));
  CHECK(dashi_les_create(&c, g, *b, s));
  CHECK(dashi_les_init_state(*s));
}

/* z0: the encoding of the LES random initial condition at N (on this rank alone) */
static void realistic_z0(dashi_proxy_layout *l, int N, double *z0) {
  dashi_grid g;
  dashi_backend *b;
  dashi_les *s;
  cpu_les_create(MPI_COMM_SELF, N, &g, &b, &s);
  double *canon = malloc(sizeof(double) * 2 * (size_t)g.nky * N),
         *slab = malloc(sizeof(double) * N * N);
  CHECK(b->ops->spec_get(b, s->w, canon));
  CHECK(dashi_les_omega_slab(s, slab));
  dashi_encoder *e;
  CHECK(dashi_encoder_create(l, &g, &e));
  CHECK(dashi_encode(e, canon, slab, z0));
  dashi_encoder_destroy(e);
  free(canon), free(slab);
  dashi_les_destroy(s);
  dashi_backend_destroy(b);
}

/* LES-side cost of one encoded frame against one LES step, on the world ranks (best of `reps`
 * rounds of `k` repetitions each, so that a loaded machine disturbs it less) */
static void les_side_cost(int N, int reps, int k) {
  MPI_Comm W = MPI_COMM_WORLD;
  dashi_grid g;
  dashi_backend *b;
  dashi_les *s;
  cpu_les_create(W, N, &g, &b, &s);
  dashi_proxy_config pc = {
      .N = N, .k_cut = 8, .mid_cut = 12, .topk = 128, .smooth_k = 3, .tau = 0.1};
  dashi_proxy_layout l;
  CHECK(dashi_proxy_layout_init(&pc, &l));
  dashi_encoder *e;
  CHECK(dashi_encoder_create(&l, &g, &e));
  double *canon = malloc(sizeof(double) * 2 * (size_t)g.nky * N),
         *slab = malloc(sizeof(double) * (size_t)g.nx * N);
  double *z = malloc(sizeof(double) * (size_t)l.D), best[4] = {1e30, 1e30, 1e30, 1e30};
  for (int r = 0; r < reps; r++) {
    double t[5];
    MPI_Barrier(W);
    t[0] = dashi_wtime();
    for (int q = 0; q < k; q++) CHECK(b->ops->spec_get(b, s->w, canon));
    t[1] = dashi_wtime();
    for (int q = 0; q < k; q++) CHECK(dashi_les_omega_slab(s, slab));
    t[2] = dashi_wtime();
    for (int q = 0; q < k; q++) CHECK(dashi_encode(e, canon, slab, z));
    t[3] = dashi_wtime();
    for (int q = 0; q < k; q++) CHECK(dashi_les_step(s));
    t[4] = dashi_wtime();
    for (int i = 0; i < 4; i++) best[i] = fmin(best[i], 1e3 * (t[i + 1] - t[i]) / k);
  }
  double mx[4];
  MPI_Allreduce(best, mx, 4, MPI_DOUBLE, MPI_MAX, W);
  int rank, size;
  MPI_Comm_rank(W, &rank);
  MPI_Comm_size(W, &size);
  double enc = mx[0] + mx[1] + mx[2];
  if (rank == 0)
    printf("\nLES-side cost of one encoded frame (N=%d, %d LES rank(s), best of %d x %d)\n"
           "%10s %12s %12s %12s %12s %14s\n%10.3f %12.3f %12.3f %12.3f %12.3f %13.1f%%\n",
           N, size, reps, k, "spec_get", "inverse FFT", "encode", "frame total", "LES step",
           "frame / step", mx[0], mx[1], mx[2], enc, mx[3], 100 * enc / mx[3]);
  dashi_encoder_destroy(e);
  dashi_proxy_layout_free(&l);
  dashi_les_destroy(s);
  dashi_backend_destroy(b);
  free(canon), free(slab), free(z);
}

static double opt_real(const char *name, double def) {
  PetscReal v = def;
  PetscOptionsGetReal(NULL, NULL, name, &v, NULL);
  return v;
}

/* -proxy_backend vulkan: member-steps/s of the GPU rollout (one wait per batch of steps) */
static void gpu_rollouts(dashi_proxy_layout *l, const double *z0, const double *A,
                         const PetscInt *mlist, int nm, double secs, int vk_device,
                         double peak_tflops) {
  MPI_Comm W = MPI_COMM_WORLD;
  int rank, size;
  MPI_Comm_rank(W, &rank);
  MPI_Comm_size(W, &size);
  const int D = l->D;
  if (rank == 0)
    printf("GPU rollout (-proxy_backend vulkan: Z <- Z A, fp64 compute shader, batches of steps in "
           "one recording, GPU synced at the end of each batch)\n"
           "%8s %8s %10s %16s %10s %10s%s\n",
           "members", "steps", "seconds", "member-steps/s", "GFLOP/s", "us/step",
           peak_tflops > 0 ? "   % of peak" : "");
  for (int q = 0; q < nm; q++) {
    int M = (int)mlist[q];
    if (M % size) continue;
    dashi_ensemble *e;
    CHECK(dashi_ensemble_create(W, M, D, A, &e));
    CHECK(dashi_ensemble_use_gpu(e, vk_device));
    CHECK(dashi_ensemble_init(e, l, z0, 0.01, DASHI_NOISE_ISO, 1));
    CHECK(dashi_ensemble_advance(e, 4)); /* warm-up (first dispatch, caches) */
    int64_t steps = 0, batch = 8, since_init = 4;
    double t = 0;
    for (;;) {
      if (since_init + batch > 4096) { /* keep the state far from underflow (radius 0.97) */
        CHECK(dashi_ensemble_init(e, l, z0, 0.01, DASHI_NOISE_ISO, 1));
        since_init = 0;
      }
      MPI_Barrier(W);
      double t0 = dashi_wtime();
      CHECK(dashi_ensemble_advance(e, batch)); /* records, submits, waits, reads the flag */
      double dt = dashi_wtime() - t0, dmax;
      MPI_Allreduce(&dt, &dmax, 1, MPI_DOUBLE, MPI_MAX, W);
      t += dmax, steps += batch, since_init += batch;
      if (t >= secs) break;
      if (dmax < secs / 8 && batch < 4096) batch *= 2;
    }
    if (rank == 0) {
      double ms = (double)M * steps / t, gf = 2.0 * D * D * ms / 1e9;
      printf("%8d %8lld %10.3f %16.4g %10.2f %10.2f", M, (long long)steps, t, ms, gf,
             1e6 * t / steps);
      if (peak_tflops > 0) printf(" %10.1f%%", 100 * gf / (1e3 * peak_tflops));
      printf("\n");
    }
    dashi_ensemble_destroy(e);
  }
  if (rank == 0) printf("\n");
}

#ifdef DASHI_WITH_VULKAN
/* -gpu_decode: member-decodes/s of the GPU decode (include/dashi/vk_decode.h) on this rank, m
 * members per submit, including the read-back of omega and the host's residual add */
static void gpu_decodes(dashi_proxy_layout *l, const double *z0, const PetscInt *mlist, int nm,
                        int n, double secs, int vk_device) {
  const int D = l->D;
  dashi_decode_params p = {.n = n, .tau = l->cfg.tau, .plateau = 1, .iters = 32, .residual = true};
  printf("GPU decode at decode_N=%d (-proxy_backend vulkan: all members in one submit per decode, "
         "omega read back)\n%8s %10s %10s %18s %12s %12s %10s\n",
         n, "members", "submits", "seconds", "member-decodes/s", "ms/submit", "set-up s", "sweeps");
  for (int q = 0; q < nm; q++) {
    const int M = (int)mlist[q];
    double t0 = dashi_wtime();
    dashi_vk_decoder *d;
    CHECK(dashi_vk_decoder_create(MPI_COMM_SELF, l, &p, M, vk_device, &d));
    double setup = dashi_wtime() - t0;
    if (q == 0) printf("  (%s)\n", dashi_vk_decoder_device(d));
    double *z = malloc(sizeof(double) * (size_t)M * D);
    double *w = malloc(sizeof(double) * (size_t)M * n * n);
    dashi_decode_stats *st = malloc(sizeof *st * (size_t)M);
    int *hist = malloc(sizeof(int) * (size_t)M * p.iters);
    for (int j = 0; j < M; j++)
      dashi_perturb(l, z0, 0.01, DASHI_NOISE_ISO, 1, j, z + (size_t)j * D);
    CHECK(dashi_vk_decode(d, z, w, st, hist, NULL)); /* warm-up */
    int count = 0;
    double sweeps = 0, t;
    t0 = dashi_wtime();
    do {
      CHECK(dashi_vk_decode(d, z, w, st, hist, NULL));
      for (int j = 0; j < M; j++) sweeps += st[j].annih_iters;
      count++;
      t = dashi_wtime() - t0;
    } while (t < secs);
    printf("%8d %10d %10.3f %18.4g %12.3f %12.2f %10.2f\n", M, count, t, (double)M * count / t,
           1e3 * t / count, setup, sweeps / ((double)M * count));
    char prof[4096];
    CHECK(dashi_vk_decoder_profile(d, prof, sizeof prof));
    if (prof[0]) printf("  GPU ms per kind (DASHI_VK_PROFILE, incl. warm-up): {%s}\n", prof);
    dashi_vk_decoder_destroy(d);
    free(z), free(w), free(st), free(hist);
  }
  printf("\n");
}
#endif

int main(int argc, char **argv) {
  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  dashi_log_register();
  MPI_Comm W = MPI_COMM_WORLD;
  int rank, size;
  MPI_Comm_rank(W, &rank);
  MPI_Comm_size(W, &size);
  PetscInt mlist[16] = {1, 64, 1024}, nm = 16;
  PetscBool set;
  PetscOptionsGetIntArray(NULL, NULL, "-members", mlist, &nm, &set);
  if (!set) nm = 3;
  int n = (int)opt_real("-decode_N", 256), ndec = (int)opt_real("-decodes", 64);
  double secs = opt_real("-seconds", 2.0);
  if (ndec < 0 || !(secs > 0)) {
    fprintf(stderr,
            "dashi-proxy-bench: -decodes %d, -seconds %g: expected >= 0 (0: no CPU decode "
            "table) and > 0\n",
            ndec, secs);
    MPI_Abort(W, DASHI_ERR_USAGE);
  }
  int les_N = (int)opt_real("-les_N", 256);
  PetscInt gdm[16] = {1, 64, 256}, ngd = 16; /* -gpu_decode [-gpu_decode_members 1,64,256] */
  PetscBool gdset, gpu_dec = PETSC_FALSE;
  PetscOptionsGetBool(NULL, NULL, "-gpu_decode", &gpu_dec, NULL);
  PetscOptionsGetIntArray(NULL, NULL, "-gpu_decode_members", gdm, &ngd, &gdset);
  if (!gdset) ngd = 3;
  char be[16] = "cpu";
  PetscOptionsGetString(NULL, NULL, "-proxy_backend", be, sizeof be, NULL);
  bool gpu = !strcmp(be, "vulkan");
  if (!gpu && strcmp(be, "cpu")) {
    fprintf(stderr, "dashi-proxy-bench: -proxy_backend %s: expected cpu or vulkan\n", be);
    MPI_Abort(W, DASHI_ERR_USAGE);
  }
  const int N = 256;
  dashi_proxy_config c = {
      .N = N, .k_cut = 8, .mid_cut = 12, .topk = 128, .smooth_k = 3, .tau = 0.1};
  dashi_proxy_layout l;
  CHECK(dashi_proxy_layout_init(&c, &l));
  const int D = l.D;
  double *z0 = malloc(sizeof(double) * D), *A = malloc(sizeof(double) * (size_t)D * D);
  realistic_z0(&l, N, z0); /* freezes the anchors */
  /* a stable random operator: Gaussian entries scaled to spectral radius ~0.97 */
  for (size_t k = 0; k < (size_t)D * D; k++) {
    double g[2];
    dashi_gauss2(17, 21, k, 0, g);
    A[k] = 0.97 * g[0] / sqrt((double)D);
  }
  if (rank == 0)
    printf("dashi-proxy-bench: D=%d (|L|=%d, K=%d), %d rank(s)\n\n", D, l.nL, l.K, size);
  if (gpu)
    gpu_rollouts(&l, z0, A, mlist, (int)nm, opt_real("-gpu_seconds", 0.5),
                 (int)opt_real("-vk_device", -1), opt_real("-fp64_peak_tflops", 0));
  else if (rank == 0)
    printf("rollout (Z <- Z A, BLAS dgemm via PETSc's wrapper, members over the ranks)\n"
           "%8s %8s %12s %16s %10s\n",
           "members", "steps", "seconds", "member-steps/s", "GFLOP/s");
  for (int q = 0; q < (gpu ? 0 : nm); q++) {
    int M = (int)mlist[q];
    if (M % size) continue;
    dashi_ensemble *e;
    CHECK(dashi_ensemble_create(W, M, D, A, &e));
    CHECK(dashi_ensemble_init(e, &l, z0, 0.01, DASHI_NOISE_ISO, 1));
    CHECK(dashi_ensemble_step(e)); /* warm-up */
    int steps = 0;
    MPI_Barrier(W);
    double t = 0; /* the steps only: the re-initialisation below is not timed */
    for (;;) {
      double t0 = dashi_wtime();
      for (int k = 0; k < 10; k++, steps++) CHECK(dashi_ensemble_step(e));
      t += dashi_wtime() - t0;
      int stop = t >= secs, all;
      MPI_Allreduce(&stop, &all, 1, MPI_INT, MPI_MAX, W);
      if (all) break;
      CHECK(dashi_ensemble_init(e, &l, z0, 0.01, DASHI_NOISE_ISO, 1)); /* keep the state O(1) */
    }
    double tmax;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, W);
    if (rank == 0)
      printf("%8d %8d %12.3f %16.4g %10.3f\n", M, steps, tmax, (double)M * steps / tmax,
             2.0 * D * D * (double)M * steps / tmax / 1e9);
    dashi_ensemble_destroy(e);
  }
  /* decodes on one rank */
  if (rank == 0 && gpu_dec) {
#ifdef DASHI_WITH_VULKAN
    printf("\n");
    gpu_decodes(&l, z0, gdm, (int)ngd, n, opt_real("-gpu_seconds", 0.5),
                (int)opt_real("-vk_device", -1));
#else
    fprintf(stderr, "dashi-proxy-bench: -gpu_decode: built without the Vulkan backend\n");
    MPI_Abort(W, DASHI_ERR_DEVICE);
#endif
  }
  if (rank == 0 && ndec > 0) {
    dashi_decode_params p = {.n = n, .tau = c.tau, .plateau = 1, .iters = 32, .residual = true};
    dashi_decoder *d;
    CHECK(dashi_decoder_create(&l, &p, &d));
    double *zs = malloc(sizeof(double) * (size_t)ndec * D), *w = malloc(sizeof(double) * n * n);
    double *Ek = malloc(sizeof(double) * (n / 2 + 1));
    dashi_fining **f = malloc(sizeof *f * (size_t)ndec);
    for (int j = 0; j < ndec; j++) {
      dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ISO, 1, j, zs + (size_t)j * D);
      CHECK(dashi_fining_create(n, &f[j]));
    }
    dashi_decode_stats st;
    int *hist = malloc(sizeof(int) * 32);
    double iters = 0;
    for (int pass = 0; pass < 2; pass++) {
      int count = 0;
      double t0 = dashi_wtime(), t;
      do {
        for (int j = 0; j < ndec; j++) {
          CHECK(dashi_decode(d, zs + (size_t)j * D, f[j], w, &st, hist));
          iters += st.annih_iters;
          if (pass) {
            double E, Z;
            CHECK(dashi_decoder_moments(d, w, &E, &Z, Ek));
          }
          count++;
        }
        t = dashi_wtime() - t0;
      } while (t < secs);
      if (pass == 0)
        printf("\ndecode at decode_N=%d (one rank; %d members' states, fining per member)\n"
               "%-34s %10s %12s %18s\n",
               n, ndec, "", "decodes", "seconds", "member-decodes/s");
      printf("%-34s %10d %12.3f %18.4g\n",
             pass ? "decode + scoring moments (1 FFT)" : "decode (SPEC §6, steps 1-6)", count, t,
             count / t);
      if (!pass) printf("  (mean annihilation iterations per decode: %.2f)\n", iters / count);
    }
    for (int j = 0; j < ndec; j++) dashi_fining_destroy(f[j]);
    free(f), free(zs), free(w), free(Ek), free(hist);
    dashi_decoder_destroy(d);
  }
  if (les_N > 0) les_side_cost(les_N, 5, les_N <= 256 ? 20 : 5);
  dashi_proxy_layout_free(&l);
  free(z0), free(A);
  PetscFinalize();
  return 0;
}

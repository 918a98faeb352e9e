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
 * one LES step (RK2, Smagorinsky) at -les_N on the P ranks (0 = skip). */
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

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    int rc_ = (x);                                                                                 \
    if (rc_) {                                                                                     \
      fprintf(stderr, "dashi-proxy-bench: %s: %s\n", #x, dashi_err_msg());                         \
      MPI_Abort(MPI_COMM_WORLD, rc_);                                                              \
    }                                                                                              \
  } while (0)

static dashi_les_config les_config(int N) {
  dashi_les_config c;
  memset(&c, 0, sizeof c);
  c.N = N, c.dt = 0.01, c.nu0 = 1e-4, c.Cs = 0.17, c.sgs_on = true, c.sgs_form = DASHI_SGS_FORM_DIV;
  c.dealias.kind = DASHI_DEALIAS_TWOTHIRDS, c.ts = DASHI_TS_RK2, c.forcing = DASHI_FORCING_NONE;
  c.seed = 1, c.ic = DASHI_IC_RANDOM, c.k0 = 10, c.tg_k = 1, c.cfl_max = 1.0;
  return c;
}

/* z0: the encoding of the LES random initial condition at N (on this rank alone) */
static void realistic_z0(dashi_proxy_layout *l, int N, double *z0) {
  dashi_grid g;
  CHECK(dashi_grid_create(MPI_COMM_SELF, N, &g));
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  dashi_backend *b;
  CHECK(dashi_backend_create(&g, &bc, &b));
  dashi_les_config c = les_config(N);
  dashi_les *s;
  CHECK(dashi_les_create(&c, &g, b, &s));
  CHECK(dashi_les_init_state(s));
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
  CHECK(dashi_grid_create(W, N, &g));
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  dashi_backend *b;
  CHECK(dashi_backend_create(&g, &bc, &b));
  dashi_les_config c = les_config(N);
  dashi_les *s;
  CHECK(dashi_les_create(&c, &g, b, &s));
  CHECK(dashi_les_init_state(s));
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
  int les_N = (int)opt_real("-les_N", 256);
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
    printf("dashi-proxy-bench: D=%d (|L|=%d, K=%d), %d rank(s)\n\n"
           "rollout (Z <- Z A, BLAS dgemm via PETSc's wrapper, members over the ranks)\n"
           "%8s %8s %12s %16s %10s\n",
           D, l.nL, l.K, size, "members", "steps", "seconds", "member-steps/s", "GFLOP/s");
  for (int q = 0; q < nm; q++) {
    int M = (int)mlist[q];
    if (M % size) continue;
    dashi_ensemble *e;
    CHECK(dashi_ensemble_create(W, M, D, A, &e));
    CHECK(dashi_ensemble_init(e, &l, z0, 0.01, DASHI_NOISE_ISO, 1));
    CHECK(dashi_ensemble_step(e)); /* warm-up */
    int steps = 0;
    MPI_Barrier(W);
    double t0 = dashi_wtime(), t = 0;
    for (;;) {
      for (int k = 0; k < 10; k++, steps++) CHECK(dashi_ensemble_step(e));
      t = dashi_wtime() - t0;
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
  if (rank == 0) {
    dashi_decode_params p = {.n = n, .tau = c.tau, .plateau = 1, .iters = 32, .residual = true};
    dashi_decoder *d;
    CHECK(dashi_decoder_create(&l, &p, &d));
    double *zs = malloc(sizeof(double) * (size_t)ndec * D), *w = malloc(sizeof(double) * n * n);
    double *tmp = malloc(sizeof(double) * D), *Ek = malloc(sizeof(double) * (n / 2 + 1));
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
    free(f), free(zs), free(w), free(tmp), free(Ek), free(hist);
    dashi_decoder_destroy(d);
  }
  if (les_N > 0) les_side_cost(les_N, 5, les_N <= 256 ? 20 : 5);
  dashi_proxy_layout_free(&l);
  free(z0), free(A);
  PetscFinalize();
  return 0;
}

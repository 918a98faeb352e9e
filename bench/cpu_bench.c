/* dashi-bench: ms per LES time step against the FFT floor, on the CPU backend.
 *
 *   mpiexec -n P dashi-bench -N 512 [-steps 50] [-precision double] [-fftw_plan measure]
 *
 * Prints one table row: ranks, N, precision, ms/step, steps/s, FFTs/step, the time of one FFTW-MPI
 * 2D real transform of the same size (fftw_mpi_plan_dft_r2c_2d / c2r_2d, mean of forward and
 * inverse, same planner flags, same ranks) and ratio = step time / (FFTs per step x one transform).
 */
#include <fftw3-mpi.h>
#include <math.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/les.h"
#include "dashi/log.h"

/* CPU time of this thread (s): with -cpu_time 1 the bench also prints ratios in CPU time, which
 * are insensitive to other processes taking the cores (not to their cache/memory traffic) */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double fftw_cpu; /* CPU time of one transform, set by time_fftw_2d */

static double time_fftw_2d(const dashi_grid *g, unsigned flags, int reps, bool single) {
  ptrdiff_t N = g->N, n0, x0;
  double t = 0;
  if (single) {
    ptrdiff_t alloc = fftwf_mpi_local_size_2d(N, N / 2 + 1, g->comm, &n0, &x0);
    float *r = fftwf_alloc_real(2 * alloc);
    fftwf_complex *c = fftwf_alloc_complex(alloc);
    fftwf_plan f = fftwf_mpi_plan_dft_r2c_2d(N, N, r, c, g->comm, flags | FFTW_MPI_TRANSPOSED_OUT);
    fftwf_plan b = fftwf_mpi_plan_dft_c2r_2d(N, N, c, r, g->comm, flags | FFTW_MPI_TRANSPOSED_IN);
    for (ptrdiff_t k = 0; k < 2 * alloc; k++) r[k] = (float)sin(0.001 * k);
    fftwf_execute(f), fftwf_execute(b);
    MPI_Barrier(g->comm);
    double t0 = MPI_Wtime(), c0 = cpu_now();
    for (int i = 0; i < reps; i++) fftwf_execute(f), fftwf_execute(b);
    fftw_cpu = (cpu_now() - c0) / (2.0 * reps);
    MPI_Barrier(g->comm);
    t = (MPI_Wtime() - t0) / (2.0 * reps);
    fftwf_destroy_plan(f), fftwf_destroy_plan(b), fftwf_free(r), fftwf_free(c);
  } else {
    ptrdiff_t alloc = fftw_mpi_local_size_2d(N, N / 2 + 1, g->comm, &n0, &x0);
    double *r = fftw_alloc_real(2 * alloc);
    fftw_complex *c = fftw_alloc_complex(alloc);
    fftw_plan f = fftw_mpi_plan_dft_r2c_2d(N, N, r, c, g->comm, flags | FFTW_MPI_TRANSPOSED_OUT);
    fftw_plan b = fftw_mpi_plan_dft_c2r_2d(N, N, c, r, g->comm, flags | FFTW_MPI_TRANSPOSED_IN);
    for (ptrdiff_t k = 0; k < 2 * alloc; k++) r[k] = sin(0.001 * k);
    fftw_execute(f), fftw_execute(b);
    MPI_Barrier(g->comm);
    double t0 = MPI_Wtime(), c0 = cpu_now();
    for (int i = 0; i < reps; i++) fftw_execute(f), fftw_execute(b);
    fftw_cpu = (cpu_now() - c0) / (2.0 * reps);
    MPI_Barrier(g->comm);
    t = (MPI_Wtime() - t0) / (2.0 * reps);
    fftw_destroy_plan(f), fftw_destroy_plan(b), fftw_free(r), fftw_free(c);
  }
  return t;
}

int main(int argc, char **argv) {
  PetscInitialize(&argc, &argv, NULL, NULL);
  dashi_log_register();
  PetscInt N = 256, steps = 50, header = 0, cputime = 0;
  char prec[16] = "double", plan[16] = "estimate";
  PetscOptionsGetInt(NULL, NULL, "-N", &N, NULL);
  PetscOptionsGetInt(NULL, NULL, "-steps", &steps, NULL);
  PetscOptionsGetInt(NULL, NULL, "-header", &header, NULL);
  PetscOptionsGetInt(NULL, NULL, "-cpu_time", &cputime, NULL);
  PetscOptionsGetString(NULL, NULL, "-precision", prec, sizeof prec, NULL);
  PetscOptionsGetString(NULL, NULL, "-fftw_plan", plan, sizeof plan, NULL);
  unsigned flags = !strcmp(plan, "measure")   ? FFTW_MEASURE
                   : !strcmp(plan, "patient") ? FFTW_PATIENT
                                              : FFTW_ESTIMATE;
  bool single = !strcmp(prec, "single");
  dashi_grid g;
  int rc = dashi_grid_create(PETSC_COMM_WORLD, (int)N, &g);
  dashi_backend *b = NULL;
  dashi_les *s = NULL;
  dashi_backend_config bc = {
      .name = "cpu", .single = single, .fftw_flags = (int)flags, .vk_device = -1};
  dashi_les_config cfg; /* the default options at N, dt = 1e-3 */
  if (!rc) rc = dashi_les_config_default((int)N, &cfg);
  cfg.dt = 1e-3;
  if (!rc) rc = dashi_backend_create(&g, &bc, &b);
  if (!rc) rc = dashi_les_create(&cfg, &g, b, &s);
  if (!rc) rc = dashi_les_init_state(s);
  for (int i = 0; i < 3 && !rc; i++) rc = dashi_les_step(s); /* warm-up */
  if (rc) {
    fprintf(stderr, "dashi-bench: %s\n", dashi_err_msg());
    PetscFinalize();
    return rc;
  }
  MPI_Barrier(g.comm);
  double t0 = MPI_Wtime(), c0 = cpu_now();
  for (int i = 0; i < steps; i++) dashi_les_step(s);
  double step_cpu = (cpu_now() - c0) / steps;
  MPI_Barrier(g.comm);
  double step = (MPI_Wtime() - t0) / steps;
  int reps = (int)fmax(5, fmin(200, 0.5 / (step / 18 + 1e-9)));
  double one = time_fftw_2d(&g, flags, reps, single);
  int nfft = dashi_les_ffts_per_rhs(s) * dashi_les_rhs_per_step(s);
  /* dashi's own distributed transform, one field at a time and in a batch of 6 */
  double ours1 = 0, ours6 = 0;
  {
    const struct dashi_backend_ops *ops = b->ops;
    MPI_Barrier(g.comm);
    double t1 = MPI_Wtime();
    for (int i = 0; i < reps; i++) {
      ops->fft_inverse(b, 1, &s->sd[0], &s->rl[0]);
      ops->fft_forward(b, 1, &s->rl[0], &s->sd[0]);
    }
    MPI_Barrier(g.comm);
    ours1 = (MPI_Wtime() - t1) / (2.0 * reps);
    t1 = MPI_Wtime();
    for (int i = 0; i < reps / 6 + 1; i++) {
      ops->fft_inverse(b, 6, s->sd, s->rl);
      ops->fft_forward(b, 6, s->rl, s->sd);
    }
    MPI_Barrier(g.comm);
    ours6 = (MPI_Wtime() - t1) / (12.0 * (reps / 6 + 1));
  }
  if (header)
    dashi_log(
        g.comm,
        "| ranks | N | precision | plan | ms/step | steps/s | FFTs/step | FFTW 2D transform (ms) "
        "| FFT floor (ms) | ratio | dashi transform, 1 / batch of 6 (ms) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n");
  dashi_log(g.comm, "| %d | %d | %s | %s | %.3f | %.1f | %d | %.4f | %.3f | %.2f | %.4f / %.4f |\n",
            g.size, g.N, prec, plan, 1e3 * step, 1.0 / step, nfft, 1e3 * one, 1e3 * nfft * one,
            step / (nfft * one), 1e3 * ours1, 1e3 * ours6);
  if (cputime) /* rank 0's thread CPU time */
    dashi_log(g.comm, "cpu_time: ms/step %.3f FFTW 2D transform (ms) %.4f ratio %.3f\n",
              1e3 * step_cpu, 1e3 * fftw_cpu, step_cpu / (nfft * fftw_cpu));
  dashi_les_destroy(s);
  dashi_backend_destroy(b);
  PetscFinalize();
  return 0;
}

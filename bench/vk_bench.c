/* GPU benchmark of the Vulkan backend (bench/run_gpu_bench.sh runs it for N = 256 ... 16384):
 *
 *   dashi-vkbench N single|double STEPS [VK_DEVICE [smagorinsky|none]]
 *
 * The random-IC Smagorinsky case (div form, 2/3 dealiasing, rk2; or -sgs none): ms per time step
 * over STEPS steps after a warm-up (wall clock, one sync at the end: what a run sees), the FFTs per
 * step (dashi_les_ffts_per_rhs x dashi_les_rhs_per_step), the GPU time of one VkFFT transform of
 * the same size measured in the same run (timestamps around 20 launches), and the ratio of the two.
 * Before timing it checks the device's results: the Taylor-Green field through a forward and an
 * inverse FFT against the analytic one, its advection term (zero for Taylor-Green), and for
 * N <= 1024 the whole right-hand side of a random state against the CPU backend. One JSON line
 * on stdout (with DASHI_VK_PROFILE=1 also the GPU time per kind of command). */
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
#include "dashi/vulkan.h"

#define CK(expr)                                                                                   \
  do {                                                                                             \
    int ck_ = (expr);                                                                              \
    if (ck_) {                                                                                     \
      fprintf(stderr, "dashi-vkbench: %s failed (%d): %s\n", #expr, ck_, dashi_err_msg());         \
      MPI_Abort(MPI_COMM_WORLD, ck_);                                                              \
    }                                                                                              \
  } while (0)

/* the default options at N, with a time step that keeps the CFL number of the random state small at
 * every N */
static dashi_les_config config(int N) {
  dashi_les_config c;
  CK(dashi_les_config_default(N, &c));
  c.dt = 0.01 * 64.0 / N;
  return c;
}

static double norm(dashi_les *s, dashi_field *f) {
  double d;
  CK(s->b->ops->spec_dot(s->b, f, f, &d));
  return sqrt(d);
}

/* Taylor-Green: |omega - analytic| / 2 after a forward and an inverse FFT; ||adv|| / ||w|| */
static void check_tg(dashi_les *s, double *err_field, double *err_adv) {
  const dashi_grid *g = s->g;
  size_t n = (size_t)g->nx * g->N;
  double *slab = malloc(sizeof(double) * n), *back = malloc(sizeof(double) * n);
  for (int i = 0; i < g->nx; i++)
    for (int j = 0; j < g->N; j++)
      slab[(size_t)i * g->N + j] = 2.0 * sin((g->x0 + i) * g->dx) * sin(j * g->dx);
  CK(dashi_les_set_state_slab(s, slab));
  CK(dashi_les_omega_slab(s, back));
  double m = 0, gm;
  for (size_t k = 0; k < n; k++) m = fmax(m, fabs(back[k] - slab[k]));
  MPI_Allreduce(&m, &gm, 1, MPI_DOUBLE, MPI_MAX, g->comm);
  *err_field = gm / 2.0;
  CK(dashi_les_rhs_term(s, s->w, "adv", s->scratch));
  *err_adv = norm(s, s->scratch) / norm(s, s->w);
  free(slab), free(back);
}

/* whole right-hand side of the random state on this backend against the CPU backend */
static double check_cpu(const dashi_grid *g, const dashi_les_config *cfg, dashi_les *gs,
                        bool single) {
  dashi_backend *cb;
  dashi_les *cs;
  dashi_backend_config bc = {
      .name = "cpu", .single = single, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  CK(dashi_backend_create(g, &bc, &cb));
  CK(dashi_les_create(cfg, g, cb, &cs));
  CK(dashi_les_init_state(cs));
  size_t n = 2 * (size_t)g->nky * g->N;
  double *canon = malloc(sizeof(double) * n), *a = malloc(sizeof(double) * n);
  CK(cb->ops->spec_get(cb, cs->w, canon));
  CK(dashi_les_set_state_spec(gs, canon));
  CK(dashi_les_rhs(cs, cs->w, cs->scratch));
  CK(dashi_les_rhs(gs, gs->w, gs->scratch));
  CK(cb->ops->spec_get(cb, cs->scratch, canon));
  CK(gs->b->ops->spec_get(gs->b, gs->scratch, a));
  double d = 0, r = 0, tot[2];
  for (int q = 0; q < g->nky; q++)
    for (int k = 0; k < 2 * g->N; k++) {
      size_t m = (size_t)q * 2 * g->N + k;
      double w = dashi_mode_weight(g->ky0 + q);
      d += w * (a[m] - canon[m]) * (a[m] - canon[m]), r += w * canon[m] * canon[m];
    }
  double loc[2] = {d, r};
  MPI_Allreduce(loc, tot, 2, MPI_DOUBLE, MPI_SUM, g->comm);
  dashi_les_destroy(cs);
  dashi_backend_destroy(cb);
  free(canon), free(a);
  return sqrt(tot[0] / tot[1]);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: dashi-vkbench N single|double STEPS [VK_DEVICE [smagorinsky|none]]\n");
    return 2;
  }
  int N = atoi(argv[1]);
  bool single = !strcmp(argv[2], "single");
  int steps = atoi(argv[3]), dev = argc > 4 ? atoi(argv[4]) : -1;
  int pargc = 1;
  if (PetscInitialize(&pargc, &argv, NULL, NULL)) return 7;
  dashi_log_register();
  MPI_Comm comm = PETSC_COMM_WORLD;
  dashi_grid g;
  CK(dashi_grid_create(comm, N, &g));
  dashi_les_config cfg = config(N);
  cfg.sgs_on = !(argc > 5 && !strcmp(argv[5], "none"));
  dashi_backend_config bc = {.name = "vulkan", .single = single, .vk_device = dev};
  dashi_backend *b;
  dashi_les *s;
  double t0 = dashi_wtime();
  CK(dashi_backend_create(&g, &bc, &b));
  CK(dashi_les_create(&cfg, &g, b, &s));
  double tg_field, tg_adv, parity = -1;
  check_tg(s, &tg_field, &tg_adv);
  if (N <= 1024) parity = check_cpu(&g, &cfg, s, single);
  CK(dashi_les_init_state(s));
  /* warm-up: plans, pipelines, clocks; at least 10 steps and 0.5 s (a first run of 10 steps at
   * N = 4096 on an H100 was once 25% slower than its repeats), the same count on every rank */
  for (double tw = dashi_wtime(), el = 0; el < 0.5;) {
    for (int i = 0; i < 10; i++) CK(dashi_les_step(s));
    CK(b->ops->sync(b));
    el = dashi_wtime() - tw;
    MPI_Allreduce(MPI_IN_PLACE, &el, 1, MPI_DOUBLE, MPI_MAX, g.comm);
  }
  double setup = dashi_wtime() - t0;
  char prof[4096];
  CK(dashi_vulkan_profile(b, prof, sizeof prof)); /* reset the counters */
  int64_t sub0 = dashi_vulkan_submits(b);
  dashi_vulkan_transpose_stats(NULL, NULL, NULL, true);
  double t1 = dashi_wtime();
  for (int i = 0; i < steps; i++) CK(dashi_les_step(s));
  CK(b->ops->sync(b));
  double wall = dashi_wtime() - t1;
  int64_t subs = dashi_vulkan_submits(b) - sub0;
  /* transposes: time and bandwidth achieved in the run, against a plain MPI_Alltoall of the same
   * bytes between the same ranks (host buffers) measured right after it */
  double a2a_s = 0, a2a_b = 0, ref_gbps = 0;
  long a2a_n = 0;
  dashi_vulkan_transpose_stats(&a2a_s, &a2a_b, &a2a_n, true);
  MPI_Allreduce(MPI_IN_PLACE, &a2a_s, 1, MPI_DOUBLE, MPI_MAX, g.comm);
  if (g.size > 1 && a2a_n > 0) {
    size_t per = (size_t)(a2a_b / a2a_n / (g.size - 1)); /* bytes to each other rank per call */
    char *sb = malloc(per * g.size), *rb = malloc(per * g.size);
    memset(sb, 1, per * g.size);
    MPI_Alltoall(sb, (int)per, MPI_BYTE, rb, (int)per, MPI_BYTE, g.comm);
    MPI_Barrier(g.comm);
    double r0 = dashi_wtime();
    for (int i = 0; i < 10; i++)
      MPI_Alltoall(sb, (int)per, MPI_BYTE, rb, (int)per, MPI_BYTE, g.comm);
    double rt = (dashi_wtime() - r0) / 10;
    MPI_Allreduce(MPI_IN_PLACE, &rt, 1, MPI_DOUBLE, MPI_MAX, g.comm);
    ref_gbps = per * (g.size - 1) / rt / 1e9;
    free(sb), free(rb);
  }
  CK(dashi_vulkan_profile(b, prof, sizeof prof));
  /* the device memory of the run so far (the transform timing below may add plans) */
  double mem[3], mem_max[3];
  CK(dashi_vulkan_memory(b, &mem[0], &mem[1], &mem[2]));
  MPI_Allreduce(mem, mem_max, 3, MPI_DOUBLE, MPI_MAX, g.comm);
  dashi_les_diag d;
  CK(dashi_les_diagnostics(s, &d));
  /* one transform with the plain plans, and under the solver's 2/3 band hint (the zero-padded
   * plans of DASHI_VK_FFT=zeropad*, or again the plain ones where they are not used) */
  double fft[2] = {-1, -1}, fftb[2] = {-1, -1};
  int band_state = dashi_vulkan_fft_band_state(b);
  if (g.size == 1) {
    CK(dashi_vulkan_fft_time(b, s->rl[0], s->sd[0], 20, fft));
    b->fft_band_in = b->fft_band_out = N / 3;
    CK(dashi_vulkan_fft_time(b, s->rl[0], s->sd[0], 20, fftb));
    b->fft_band_in = b->fft_band_out = 0;
  }
  /* DASHI_BENCH_ROWFFT=1: the library's C2C along y of all N rows (the row kernel does 5 per row
   * per right-hand side) */
  double rowfft = -1;
  const char *rf = getenv("DASHI_BENCH_ROWFFT");
  if (g.size == 1 && rf && !strcmp(rf, "1") && dashi_vulkan_fft_rows_time(b, 20, &rowfft)) {
    fprintf(stderr, "dashi-vkbench: no row transform timing: %s\n", dashi_err_msg());
    dashi_err_clear(); /* the run's own figures still print */
    rowfft = -1;
  }
  int ffts = dashi_les_ffts_per_rhs(s) * dashi_les_rhs_per_step(s);
  double ms = 1e3 * wall / steps, one = 0.5 * (fft[0] + fft[1]), oneb = 0.5 * (fftb[0] + fftb[1]);
  const char *variant = getenv("DASHI_VK_FFT"), *tune = getenv("DASHI_VK_FFT_TUNE");
  if (!g.rank)
    printf("{\"device\": \"%s\", \"N\": %d, \"precision\": \"%s\", \"sgs\": \"%s\", \"ranks\": %d, "
           "\"steps\": %d, "
           "\"ms_per_step\": %.5f, \"steps_per_s\": %.1f, \"submits_per_step\": %.4f, "
           "\"ffts_per_step\": %d, \"fft_fwd_ms\": %.5f, \"fft_inv_ms\": %.5f, "
           "\"fft_ms_per_step\": %.5f, \"ratio\": %.3f, \"fft_variant\": \"%s%s%s\", "
           "\"band_state\": %d, \"fft_fwd_band_ms\": %.5f, \"fft_inv_band_ms\": %.5f, "
           "\"fft_band_ms_per_step\": %.5f, \"ratio_band\": %.3f, \"setup_s\": %.2f, "
           "\"check_tg_field\": %.2e, \"check_tg_adv\": %.2e, \"check_rhs_vs_cpu\": %.2e, "
           "\"final_Z\": %.6g, \"final_cfl\": %.3g, \"a2a_ms_per_step\": %.4f, "
           "\"a2a_GBps\": %.3f, \"ref_a2a_GBps\": %.3f, \"device_GiB\": %.3f, "
           "\"heap_GiB\": %.1f, \"vkfft_tables_bytes\": %.0f, \"rows_c2c_ms\": %.5f, "
           "\"fft_library\": \"%s\", "
           "\"profile\": {%s}}\n",
           b->devices, N, single ? "single" : "double", cfg.sgs_on ? "smagorinsky" : "none", g.size,
           steps, ms, 1e3 / ms, (double)subs / steps, ffts, fft[0], fft[1], ffts * one,
           one > 0 ? ms / (ffts * one) : -1.0, variant && *variant ? variant : "plain",
           tune && *tune ? "+" : "", tune && *tune ? tune : "", band_state, fftb[0], fftb[1],
           ffts * oneb, oneb > 0 ? ms / (ffts * oneb) : -1.0, setup, tg_field, tg_adv, parity, d.Z,
           d.cfl, 1e3 * a2a_s / steps, a2a_s > 0 ? a2a_b / a2a_s / 1e9 : 0.0, ref_gbps,
           mem_max[0] / 1073741824.0, mem_max[1] / 1073741824.0, mem_max[2], rowfft, b->fft_library,
           prof);
  fflush(stdout);
  dashi_les_destroy(s);
  dashi_backend_destroy(b);
  PetscFinalize();
  return 0;
}

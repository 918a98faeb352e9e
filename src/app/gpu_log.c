/* -log_view with -backend vulkan: the GPU time of the time loop per kind of command (Vulkan
 * timestamps, one after every command), printed after the run's summary in the style of PETSc's
 * event table: the largest time over the LES ranks and the ratio of the largest to the smallest.
 * PETSc's own events (DashiRHS, ...) time the host, which with the Vulkan backend records
 * commands and waits for the GPU only at read-backs (docs/vulkan.md "Profiling"). */
#include <petscsys.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "dashi/error.h"
#include "dashi/log.h"
#ifdef DASHI_WITH_VULKAN
#include "dashi/vulkan.h"
#endif

bool dashi_gpu_log_wanted(const dashi_options *o) {
  PetscBool lv = PETSC_FALSE;
  PetscOptionsHasName(NULL, NULL, "-log_view", &lv);
  return lv && !strcmp(dashi_opt_s(o, "backend"), "vulkan") && dashi_opt_b(o, "log_view_gpu");
}

#ifdef DASHI_WITH_VULKAN
typedef struct {
  int n;
  const char *names[DASHI_VK_STAGES];
  long long calls[DASHI_VK_STAGES];
  double ms[DASHI_VK_STAGES];
} stage_times;

int dashi_gpu_log_reset(dashi_backend *b) {
  stage_times t;
  return dashi_vulkan_stage_times(b, &t.n, t.names, t.calls, t.ms);
}

/* the k stage indices in order of decreasing time ms[] (insertion: k <= DASHI_VK_STAGES) */
static void by_time(int *order, int k, const double *ms) {
  for (int j = 1; j < k; j++)
    for (int i = j; i > 0 && ms[order[i]] > ms[order[i - 1]]; i--) {
      int x = order[i];
      order[i] = order[i - 1], order[i - 1] = x;
    }
}

int dashi_gpu_log_view(dashi_backend *b, MPI_Comm comm, long long steps, double wall_s) {
  stage_times t;
  DASHI_CALL(dashi_vulkan_stage_times(b, &t.n, t.names, t.calls, t.ms));
  int rank, size, n_min, n_max;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  DASHI_MPI(MPI_Allreduce(&t.n, &n_min, 1, MPI_INT, MPI_MIN, comm));
  DASHI_MPI(MPI_Allreduce(&t.n, &n_max, 1, MPI_INT, MPI_MAX, comm));
  if (n_min == 0) {
    dashi_log(comm,
              "\nGPU stages (-log_view): no timestamps on %s rank's device queue, so no GPU "
              "times (the host times of PETSc's table below stand alone)\n",
              n_max ? "some" : "every");
    return 0;
  }
  double mx[DASHI_VK_STAGES], mn[DASHI_VK_STAGES], tot = 0, tot_min = 0;
  long long calls[DASHI_VK_STAGES];
  DASHI_MPI(MPI_Reduce(t.ms, mx, t.n, MPI_DOUBLE, MPI_MAX, 0, comm));
  DASHI_MPI(MPI_Reduce(t.ms, mn, t.n, MPI_DOUBLE, MPI_MIN, 0, comm));
  DASHI_MPI(MPI_Reduce(t.calls, calls, t.n, MPI_LONG_LONG, MPI_MAX, 0, comm));
  double mine = 0, span[2];
  for (int i = 0; i < t.n; i++) mine += t.ms[i];
  DASHI_MPI(MPI_Reduce(&mine, &span[0], 1, MPI_DOUBLE, MPI_MAX, 0, comm));
  DASHI_MPI(MPI_Reduce(&mine, &span[1], 1, MPI_DOUBLE, MPI_MIN, 0, comm));
  double mem[3], mem_max[3];
  DASHI_CALL(dashi_vulkan_memory(b, &mem[0], &mem[1], &mem[2]));
  DASHI_MPI(MPI_Reduce(mem, mem_max, 3, MPI_DOUBLE, MPI_MAX, 0, comm));
  if (rank) return 0;
  int order[DASHI_VK_STAGES], k = 0;
  for (int i = 0; i < t.n; i++)
    if (calls[i]) order[k++] = i;
  by_time(order, k, mx);
  tot = span[0], tot_min = span[1];
  double per = steps > 0 ? 1.0 / (double)steps : 0.0;
  printf("\nGPU stages of the time loop (-log_view; Vulkan timestamps, the device time from each "
         "command's\npredecessor to its end; max over %d LES rank(s), ratio = max/min; %lld "
         "steps):\n",
         size, steps);
  printf("%-28s %10s %12s %7s %12s %10s %7s\n", "Stage", "Count", "Time (s)", "Ratio", "ms/call",
         "ms/step", "%GPU");
  for (int j = 0; j < k; j++) {
    int i = order[j];
    printf("%-28s %10lld %12.4e %7.2f %12.5f %10.5f %7.1f\n", t.names[i], calls[i], 1e-3 * mx[i],
           mn[i] > 0 ? mx[i] / mn[i] : 0.0, mx[i] / (double)calls[i], mx[i] * per,
           tot > 0 ? 100.0 * mx[i] / tot : 0.0);
  }
  printf("%-28s %10s %12.4e %7.2f %12s %10.5f %7.1f\n", "GPU total", "", 1e-3 * tot,
         tot_min > 0 ? tot / tot_min : 0.0, "", tot * per, 100.0);
  printf("the time loop took %.4g s of wall time: the busiest GPU was busy %.1f%% of it\n", wall_s,
         wall_s > 0 ? 100.0 * 1e-3 * tot / wall_s : 0.0);
  bool gib = mem_max[0] >= 1073741824.0;
  printf("device memory: dashi's buffers held at most %.1f %s (%.0f bytes) on a rank's device (the "
         "largest over the ranks; VkFFT's own tables included, %.0f bytes at the end), whose "
         "device-local heap is %.1f GiB\n",
         mem_max[0] / (gib ? 1073741824.0 : 1048576.0), gib ? "GiB" : "MiB", mem_max[0], mem_max[2],
         mem_max[1] / 1073741824.0);
  fflush(stdout);
  return 0;
}
#else
int dashi_gpu_log_reset(dashi_backend *b) {
  (void)b;
  return 0;
}
int dashi_gpu_log_view(dashi_backend *b, MPI_Comm comm, long long steps, double wall_s) {
  (void)b, (void)comm, (void)steps, (void)wall_s;
  return 0;
}
#endif

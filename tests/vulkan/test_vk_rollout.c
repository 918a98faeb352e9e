/* GPU ensemble rollout (-proxy_backend vulkan, include/dashi/vk_proxy.h) against the CPU's BLAS
 * rollout (dashi_ensemble_step), on lavapipe in CI:
 *  - Z A for sizes that are not multiples of the shader's 64 x 64 tile (and 1 x 1), in two
 *    recordings with a download in between: within 1e-12 relative per member;
 *  - the default proxy dimension D = 444 through the ensemble API (members over the ranks,
 *    perturbed starts, single steps and a batch): within 1e-12 relative per member;
 *  - the non-finite flag: the first step and the lowest row, reset by an upload;
 *  - a diverging operator: the same DASHI_ERR_NUMERICS message (member and step) as the CPU's,
 *    also when the first member to diverge lives on another rank (2 ranks) and the batch runs
 *    on past it. (lavapipe runs fp64 compute slowly: the step counts are kept small.) */
#include "../proxy/ptest.h"
#include "dashi/rng.h"
#include "dashi/vk_proxy.h"

static void random_fill(double *x, size_t n, double scale, uint64_t key) {
  for (size_t k = 0; k < n; k++) {
    double g[2];
    dashi_gauss2(key, 5, k, 0, g);
    x[k] = scale * g[0];
  }
}

/* max over members of ||a_j - b_j|| / ||b_j|| */
static double member_rel(int m, int D, const double *a, const double *b) {
  double worst = 0;
  for (int j = 0; j < m; j++) {
    double d = 0, n = 0;
    for (int i = 0; i < D; i++) {
      double x = a[(size_t)j * D + i], y = b[(size_t)j * D + i];
      d += (x - y) * (x - y), n += y * y;
    }
    double r = n > 0 ? sqrt(d / n) : sqrt(d);
    if (!(r <= 1e300)) r = INFINITY; /* NaN: a failure that survives MPI_MAX */
    worst = fmax(worst, r);
  }
  return worst;
}

/* the module on its own, sizes off the tile */
static void odd_sizes(void) {
  static const int sizes[][2] = {{1, 1}, {1, 444}, {37, 101}, {130, 67}, {65, 444}, {200, 130}};
  for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
    int m = sizes[q][0], D = sizes[q][1];
    double *A = malloc(sizeof(double) * D * D), *Z = malloc(sizeof(double) * m * D);
    double *G = malloc(sizeof(double) * m * D), *G3 = malloc(sizeof(double) * m * D);
    random_fill(A, (size_t)D * D, 0.9 / sqrt((double)D), 100 + q);
    random_fill(Z, (size_t)m * D, 1.0, 200 + q);
    dashi_ensemble *e;
    TU_OK(dashi_ensemble_create(MPI_COMM_SELF, m, D, A, &e));
    memcpy(e->Z, Z, sizeof(double) * m * D);
    dashi_vk_rollout *r;
    TU_OK(dashi_vk_rollout_create(MPI_COMM_WORLD, -1, m, D, A, &r));
    TU_OK(dashi_vk_rollout_upload(r, Z));
    int64_t bs;
    int br;
    TU_OK(dashi_vk_rollout_run(r, 3, &bs, &br));
    TU_OK(dashi_vk_rollout_download(r, G3));
    for (int s = 0; s < 3; s++) TU_OK(dashi_ensemble_step(e));
    double e3 = member_rel(m, D, G3, e->Z);
    TU_OK(dashi_vk_rollout_record(r, 4));
    TU_OK(dashi_vk_rollout_check(r, &bs, &br));
    TU_OK(dashi_vk_rollout_download(r, G));
    for (int s = 0; s < 4; s++) TU_OK(dashi_ensemble_step(e));
    double e7 = member_rel(m, D, G, e->Z);
    double w = tu_max(MPI_COMM_WORLD, fmax(e3, e7));
    tu_check(w <= 1e-12 && bs == 0 && br == -1 && dashi_vk_rollout_steps(r) == 7,
             "m=%d, D=%d: GPU = CPU after 3 and 7 steps (max relative difference per member "
             "%.2e), flag clear",
             m, D, w);
    dashi_vk_rollout_destroy(r);
    dashi_ensemble_destroy(e);
    free(A), free(Z), free(G), free(G3);
  }
}

/* the flag: rows 11 and 30 overflow at step 3, row 5 at step 6 -> (3, 11); an upload resets */
static void flag_check(void) {
  const int m = 37, D = 101;
  double *A = calloc((size_t)D * D, sizeof(double)), *Z = malloc(sizeof(double) * m * D);
  for (int i = 0; i < D; i++) A[(size_t)i * D + i] = 1e20;
  for (int k = 0; k < m * D; k++) Z[k] = 1.0;
  for (int i = 0; i < D; i++) Z[5 * D + i] = 1e200, Z[11 * D + i] = Z[30 * D + i] = 1e250;
  dashi_vk_rollout *r;
  TU_OK(dashi_vk_rollout_create(MPI_COMM_WORLD, -1, m, D, A, &r));
  TU_OK(dashi_vk_rollout_upload(r, Z));
  int64_t bs;
  int br;
  TU_OK(dashi_vk_rollout_run(r, 2, &bs, &br));
  bool before = bs == 0 && br == -1;
  TU_OK(dashi_vk_rollout_run(r, 8, &bs, &br));
  tu_check(before && bs == 3 && br == 11,
           "non-finite flag: first step %lld, lowest row %d (expected 3 and 11; nothing after 2 "
           "steps)",
           (long long)bs, br);
  for (int k = 0; k < m * D; k++) Z[k] = 1.0;
  TU_OK(dashi_vk_rollout_upload(r, Z));
  TU_OK(dashi_vk_rollout_run(r, 2, &bs, &br));
  tu_check(bs == 0 && br == -1, "an upload resets the flag and the step count");
  dashi_vk_rollout_destroy(r);
  free(A), free(Z);
}

/* run until the error (CPU: step by step; GPU: one batch); returns the code, msg gets the text */
static int until_error(dashi_ensemble *e, bool gpu, char *msg, size_t n) {
  int rc = 0;
  if (gpu)
    rc = dashi_ensemble_advance(e, 12);
  else
    for (int s = 0; s < 12 && !rc; s++) rc = dashi_ensemble_step(e);
  snprintf(msg, n, "%s", rc ? dashi_err_msg() : "");
  return rc;
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  MPI_Comm W = MPI_COMM_WORLD;
  int size;
  MPI_Comm_size(W, &size);
  odd_sizes();
  flag_check();

  /* the ensemble API at the default D */
  dashi_proxy_layout l;
  pt_layout_first_anchors(64, &l);
  const int D = l.D, M = 8;
  double *A = malloc(sizeof(double) * D * D), *z0 = malloc(sizeof(double) * D);
  random_fill(A, (size_t)D * D, 0.98 / sqrt((double)D), 11);
  random_fill(z0, (size_t)D, 1.0, 12);
  z0[dashi_z_hdr(&l) + DASHI_HDR_K] = l.K;
  dashi_ensemble *ec, *eg;
  TU_OK(dashi_ensemble_create(W, M, D, A, &ec));
  TU_OK(dashi_ensemble_create(W, M, D, A, &eg));
  TU_OK(dashi_ensemble_use_gpu(eg, -1));
  TU_OK(dashi_ensemble_init(ec, &l, z0, 0.01, DASHI_NOISE_ISO, 7));
  TU_OK(dashi_ensemble_init(eg, &l, z0, 0.01, DASHI_NOISE_ISO, 7));
  for (int s = 0; s < 12; s++) TU_OK(dashi_ensemble_step(ec));
  TU_OK(dashi_ensemble_step(eg));
  TU_OK(dashi_ensemble_step(eg));
  TU_OK(dashi_ensemble_advance(eg, 10));
  TU_OK(dashi_ensemble_host(eg));
  double w = tu_max(W, member_rel(eg->m, D, eg->Z, ec->Z));
  tu_check(w <= 1e-12 && eg->steps == 12,
           "D=%d, M=%d on %d rank(s), 12 steps (2 single + a batch of 10): GPU = CPU BLAS "
           "(max relative difference per member %.2e)",
           D, M, size, w);
  dashi_ensemble_destroy(ec);
  dashi_ensemble_destroy(eg);

  /* diverging operators: the CPU's message, word for word */
  for (int v = 0; v < 2; v++) {
    for (int k = 0; k < D * D; k++) A[k] = (k % (D + 1) == 0) ? 1e30 : 0.0;
    char msg[2][1024];
    int rc[2];
    int64_t steps[2];
    for (int gpu = 0; gpu < 2; gpu++) {
      dashi_ensemble *e;
      TU_OK(dashi_ensemble_create(W, M, D, A, &e));
      TU_OK(dashi_ensemble_init(e, &l, z0, 0.5, DASHI_NOISE_ISO, 3));
      if (v == 1) /* members 5 and 6 first (step 4), member 1 later (7), the others at 10 */
        for (int j = 0; j < e->m; j++) {
          int g = e->m0 + j;
          double f = g == 5 || g == 6 ? 1e200 : g == 1 ? 1e100 : 1.0;
          for (int i = 0; i < D; i++) e->Z[(size_t)j * D + i] *= f;
        }
      if (gpu) TU_OK(dashi_ensemble_use_gpu(e, -1)); /* uploads the current states */
      rc[gpu] = until_error(e, gpu, msg[gpu], sizeof msg[gpu]);
      steps[gpu] = e->steps;
      dashi_ensemble_destroy(e);
    }
    bool same = rc[0] == DASHI_ERR_NUMERICS && rc[1] == DASHI_ERR_NUMERICS &&
                !strcmp(msg[0], msg[1]) && steps[0] == steps[1];
    if (v == 1) same = same && strstr(msg[1], "member 5 ") && strstr(msg[1], "after 4 rollout");
    tu_check(same, "diverging A (%s): GPU error = CPU error: \"%.70s...\" (steps %lld / %lld)",
             v ? "members 5, 6 first" : "perturbed members", msg[1], (long long)steps[0],
             (long long)steps[1]);
    if (!same) tu_note("  CPU: %s\n  GPU: %s\n", msg[0], msg[1]);
  }
  dashi_proxy_layout_free(&l);
  free(A), free(z0);
  return tu_finish("test_vk_rollout");
}

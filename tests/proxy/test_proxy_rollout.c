/* Ensemble rollouts (SPEC §5): M members by one gemm equal M separate gemv rollouts, the result
 * does not depend on the number of proxy ranks, perturbations follow (seed, member, component),
 * members not divisible by the ranks and a diverging operator are clear errors. */
#include "dashi/rng.h"
#include "ptest.h"

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  MPI_Comm W = MPI_COMM_WORLD;
  int rank, size;
  MPI_Comm_rank(W, &rank);
  MPI_Comm_size(W, &size);
  dashi_proxy_layout l;
  pt_layout_first_anchors(64, &l);
  const int D = l.D, M = 8, steps = 25;
  double *A = malloc(sizeof(double) * D * D), *z0 = malloc(sizeof(double) * D);
  for (int k = 0; k < D * D; k++) {
    double g[2];
    dashi_gauss2(3, 11, (uint64_t)k, 0, g);
    A[k] = g[0] / sqrt((double)D) * 0.98;
  }
  for (int i = 0; i < D; i++) {
    double g[2];
    dashi_gauss2(4, 11, (uint64_t)i, 0, g);
    z0[i] = g[1];
  }
  z0[dashi_z_hdr(&l) + DASHI_HDR_K] = l.K;

  /* perturbations */
  double *zp = malloc(sizeof(double) * D), *zq = malloc(sizeof(double) * D),
         *tmp = malloc(sizeof(double) * D);
  dashi_perturb(&l, z0, 0.0, DASHI_NOISE_ISO, 1, 3, zp);
  tu_check(!memcmp(zp, z0, sizeof(double) * D), "noise 0: every member starts at z0");
  dashi_perturb(&l, z0, 0.01, DASHI_NOISE_LOWK, 1, 3, zp);
  int hdr = dashi_z_hdr(&l), kept = dashi_z_kept(&l);
  bool lowk_only = !memcmp(zp + hdr, z0 + hdr, sizeof(double) * (D - hdr)) && zp[0] != z0[0];
  dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ANCHORS, 1, 3, zq);
  bool anchors_only = !memcmp(zq, z0, sizeof(double) * kept) && zq[kept] != z0[kept];
  dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ISO, 1, 3, zp);
  bool k_fixed = zp[hdr + DASHI_HDR_K] == l.K && zp[hdr] != z0[hdr];
  tu_check(lowk_only && anchors_only && k_fixed,
           "noise modes: lowk touches lowk only, anchors the kept values only, iso all but K");
  dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ISO, 1, 3, zq);
  bool repro = !memcmp(zp, zq, sizeof(double) * D);
  dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ISO, 1, 4, zq);
  tu_check(repro && memcmp(zp, zq, sizeof(double) * D), "perturbation keyed by (seed, member): "
                                                        "reproducible, members differ");

  /* batched rollout vs gemv, member by member */
  dashi_ensemble *e;
  TU_OK(dashi_ensemble_create(W, M, D, A, &e));
  TU_OK(dashi_ensemble_init(e, &l, z0, 0.01, DASHI_NOISE_ISO, 7));
  for (int s = 0; s < steps; s++) TU_OK(dashi_ensemble_step(e));
  double err = 0;
  for (int j = 0; j < e->m; j++) {
    dashi_perturb(&l, z0, 0.01, DASHI_NOISE_ISO, 7, e->m0 + j, zp);
    for (int s = 0; s < steps; s++) dashi_rollout_gemv(D, A, zp, tmp);
    for (int i = 0; i < D; i++) {
      double d = fabs(e->Z[(size_t)j * D + i] - zp[i]) / fmax(1e-300, fabs(zp[i]));
      err = tu_nanmax(err, d);
    }
  }
  double gerr = tu_max_nan(W, err);
  tu_check(gerr <= 1e-13,
           "M=%d members, %d steps, %d rank(s): gemm rollout = gemv rollouts (max rel "
           "diff %.2e%s)",
           M, steps, size, gerr, gerr == 0 ? ", bit-identical" : "");

  /* rank-count invariance: the whole ensemble on one rank */
  double *all = rank == 0 ? malloc(sizeof(double) * M * D) : NULL;
  MPI_Gather(e->Z, e->m * D, MPI_DOUBLE, all, e->m * D, MPI_DOUBLE, 0, W);
  double d1 = 0;
  if (rank == 0) {
    dashi_ensemble *e1;
    TU_OK(dashi_ensemble_create(MPI_COMM_SELF, M, D, A, &e1));
    TU_OK(dashi_ensemble_init(e1, &l, z0, 0.01, DASHI_NOISE_ISO, 7));
    for (int s = 0; s < steps; s++) TU_OK(dashi_ensemble_step(e1));
    d1 = tu_maxdiff(MPI_COMM_SELF, all, e1->Z, (size_t)M * D); /* NaN-keeping */
    dashi_ensemble_destroy(e1);
  }
  MPI_Bcast(&d1, 1, MPI_DOUBLE, 0, W);
  tu_check(d1 <= 1e-13, "ensemble on %d rank(s) = ensemble on 1 rank (max diff %.2e)", size, d1);
  dashi_ensemble_destroy(e);

  /* members not divisible by the ranks */
  if (size > 1) {
    int rc = dashi_ensemble_create(W, size + 1, D, A, &e);
    tu_check(rc == DASHI_ERR_USAGE, "members %d on %d ranks refused: %s", size + 1, size,
             dashi_err_msg());
  }

  /* a diverging operator: non-finite state is a clear numerics error */
  for (int k = 0; k < D * D; k++) A[k] = (k % (D + 1) == 0) ? 1e30 : 0.0;
  TU_OK(dashi_ensemble_create(W, M, D, A, &e));
  TU_OK(dashi_ensemble_init(e, &l, z0, 0.0, DASHI_NOISE_ISO, 7));
  int rc = 0, s = 0;
  while (!rc && s < 100) rc = dashi_ensemble_step(e), s++;
  tu_check(rc == DASHI_ERR_NUMERICS && strstr(dashi_err_msg(), "diverged"),
           "diverging A stops after %d steps: %s", s, dashi_err_msg());
  dashi_ensemble_destroy(e);
  dashi_proxy_layout_free(&l);
  free(A), free(z0), free(zp), free(zq), free(tmp), free(all);
  return tu_finish("test_proxy_rollout");
}

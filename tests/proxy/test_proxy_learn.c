/* Operator learning (SPEC §4): recovery of a known A from z_{t+1} = z_t A, standardized columns,
 * noise, rank-deficient windows (ridge keeps them solvable, the report says so; no ridge is a
 * clear error), the fit report and independence of the proxy rank count. */
#include "dashi/rng.h"
#include "ptest.h"

/* dense operator with all eigenvalues of modulus rho: A = Hh R Hh, R = 2x2 rotation blocks,
 * Hh = I - 2 v v^T / v^T v (orthogonal, symmetric) */
static void make_A(int D, double rho, double *A) {
  double *R = calloc((size_t)D * D, sizeof(double)), *Hh = malloc(sizeof(double) * D * D);
  double *T = malloc(sizeof(double) * D * D), v[256], vv = 0;
  for (int i = 0; i < D; i++) {
    double g[2];
    dashi_gauss2(99, 7, (uint64_t)i, 0, g);
    v[i] = g[0], vv += g[0] * g[0];
  }
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) Hh[i * D + j] = (i == j) - 2 * v[i] * v[j] / vv;
  for (int b = 0; b + 1 < D; b += 2) {
    double th = 0.1 + 0.37 * b;
    R[b * D + b] = rho * cos(th), R[b * D + b + 1] = -rho * sin(th);
    R[(b + 1) * D + b] = rho * sin(th), R[(b + 1) * D + b + 1] = rho * cos(th);
  }
  if (D % 2) R[(D - 1) * D + D - 1] = rho;
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) {
      double s = 0;
      for (int k = 0; k < D; k++) s += Hh[i * D + k] * R[k * D + j];
      T[i * D + j] = s;
    }
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) {
      double s = 0;
      for (int k = 0; k < D; k++) s += T[i * D + k] * Hh[k * D + j];
      A[i * D + j] = s;
    }
  free(R), free(Hh), free(T);
}

/* T+1 frames: z_{t+1} = z_t A, z_0 Gaussian; column j scaled by scale[j] afterwards */
static void trajectory(int D, int T, const double *A, const double *scale, double *F) {
  for (int i = 0; i < D; i++) {
    double g[2];
    dashi_gauss2(5, 8, (uint64_t)i, 0, g);
    F[i] = g[0];
  }
  for (int t = 0; t < T; t++)
    for (int j = 0; j < D; j++) {
      double s = 0;
      for (int i = 0; i < D; i++) s += F[(size_t)t * D + i] * A[i * D + j];
      F[(size_t)(t + 1) * D + j] = s;
    }
  for (int t = 0; t <= T; t++)
    for (int j = 0; j < D; j++) F[(size_t)t * D + j] *= scale[j];
}

static double rel_err(int D, const double *A, const double *B) {
  double e = 0, n = 0;
  for (int k = 0; k < D * D; k++) e += (A[k] - B[k]) * (A[k] - B[k]), n += B[k] * B[k];
  return sqrt(e / n);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  MPI_Comm W = MPI_COMM_WORLD;
  const int D = 24, T = 80;
  double *A = malloc(sizeof(double) * D * D), *L = malloc(sizeof(double) * D * D);
  double *L1 = malloc(sizeof(double) * D * D), *F = malloc(sizeof(double) * (T + 1) * D);
  double one[64], sc[64];
  for (int j = 0; j < D; j++) one[j] = 1.0, sc[j] = pow(10.0, j % 5 - 2);
  make_A(D, 1.0, A);
  trajectory(D, T, A, one, F);
  dashi_fit_report r;
  dashi_learn_opts o = {.ridge = 0, .standardize = false};

  /* exact recovery without noise */
  TU_OK(dashi_learn(W, T, D, F, F + D, &o, L, &r));
  double e = rel_err(D, L, A);
  tu_check(e <= 1e-8, "known A (D=%d, T=%d, |eig| = 1): recovered to %.2e relative (<= 1e-8)", D, T,
           e);
  tu_check(fabs(r.spectral_radius - 1.0) < 1e-8 && r.rel_residual < 1e-10 && !r.rank_deficient &&
               r.rank == D,
           "fit report: spectral radius %.12f, training residual %.2e, rank %d, cond %.3g",
           r.spectral_radius, r.rel_residual, r.rank, r.cond);
  /* the same operator from one rank alone (bit-identical) */
  TU_OK(dashi_learn(MPI_COMM_SELF, T, D, F, F + D, &o, L1, &r));
  int same = !memcmp(L, L1, sizeof(double) * D * D), all;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, W);
  int size;
  MPI_Comm_size(W, &size);
  tu_check(all, "A from %d proxy rank(s) is bit-identical to A from 1 rank", size);

  /* standardized columns over 4 decades */
  trajectory(D, T, A, sc, F);
  double *As = malloc(sizeof(double) * D * D); /* operator in the scaled variables */
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) As[i * D + j] = A[i * D + j] * sc[j] / sc[i];
  o.standardize = true;
  TU_OK(dashi_learn(W, T, D, F, F + D, &o, L, &r));
  e = rel_err(D, L, As);
  tu_check(e <= 1e-8, "scaled columns (1e-2..1e2) with -standardize: recovered to %.2e", e);
  o.standardize = false;

  /* noise on the targets: graceful, residual reported */
  trajectory(D, T, A, one, F);
  double *Fp = malloc(sizeof(double) * T * D);
  for (int k = 0; k < T * D; k++) {
    double g[2];
    dashi_gauss2(11, 9, (uint64_t)k, 0, g);
    Fp[k] = F[D + k] + 1e-3 * g[0];
  }
  o.ridge = 1e-6;
  TU_OK(dashi_learn(W, T, D, F, Fp, &o, L, &r));
  e = rel_err(D, L, A);
  tu_check(e < 0.02 && r.rel_residual > 1e-4 && r.rel_residual < 1e-2,
           "noise 1e-3 on Z': A within %.2e, training residual %.2e reported", e, r.rel_residual);

  /* rank-deficient window: T = 10 < D */
  o.ridge = 0;
  int rc = dashi_learn(W, 10, D, F, F + D, &o, L, &r);
  tu_check(rc == DASHI_ERR_NUMERICS && strstr(dashi_err_msg(), "rank-deficient"),
           "rank-deficient window without ridge: clear error (%s)", dashi_err_msg());
  o.ridge = 1e-6;
  TU_OK(dashi_learn(W, 10, D, F, F + D, &o, L, &r));
  bool finite = true;
  for (int k = 0; k < D * D; k++) finite &= isfinite(L[k]);
  tu_check(
      finite && r.rank_deficient && r.rank == 10 && r.rel_residual < 1e-3,
      "rank-deficient window with ridge 1e-6: solvable, report says rank %d of %d, residual %.2e",
      r.rank, D, r.rel_residual);
  dashi_fit_report_print(W, &r);

  /* non-finite training data is refused */
  F[3] = NAN;
  rc = dashi_learn(W, T, D, F, F + D, &o, L, &r);
  tu_check(rc == DASHI_ERR_INPUT, "non-finite training state refused: %s", dashi_err_msg());
  free(A), free(L), free(L1), free(F), free(As), free(Fp);
  return tu_finish("test_proxy_learn");
}

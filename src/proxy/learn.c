/* Operator learning (SPEC §4): A = argmin ||Z A - Z'||_F^2 + lambda ||A||_F^2 with PETSc.
 *
 * Distributed Gram assembly: every proxy rank holds the (small) training trajectory and computes a
 * block of columns of G = Z^T Z and C = Z^T Z' with one BLAS gemm each; the blocks are gathered.
 * Each element is one dot product over the frames in frame order, so G and C (and hence A) do not
 * depend on the number of proxy ranks. (G + lambda I) A = C is solved by a dense Cholesky
 * factorization (PETSc MatCholeskyFactor + MatMatSolve, replicated: D is a few hundred). The fit
 * report has the eigenvalues of the factored matrix (LAPACK syev: rank, condition) and the
 * spectral radius of A (LAPACK geev), both through PETSc's BLAS/LAPACK wrappers. */
#include <float.h>
#include <math.h>
#include <petscsys.h>
#include <petscblaslapack.h>
#include <petscmat.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy.h"

#define PETSC_TRY(expr, what)                                                                      \
  do {                                                                                             \
    PetscErrorCode pe_ = (expr);                                                                   \
    if (pe_) {                                                                                     \
      rc = dashi_err(DASHI_ERR_NUMERICS, "PETSc %s failed (PETSc error %d)", what, (int)pe_);      \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* X = (G + lambda I)^{-1} C with PETSc dense Cholesky; all column-major D x D */
static int cholesky_solve(int D, const double *G, double lambda, const double *C, double *X) {
  Mat Gm = NULL, Cm = NULL, Xm = NULL;
  int rc = 0;
  PetscScalar *a;
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  PETSC_TRY(MatCreateSeqDense(PETSC_COMM_SELF, D, D, NULL, &Gm), "MatCreateSeqDense");
  PETSC_TRY(MatCreateSeqDense(PETSC_COMM_SELF, D, D, NULL, &Cm), "MatCreateSeqDense");
  PETSC_TRY(MatCreateSeqDense(PETSC_COMM_SELF, D, D, NULL, &Xm), "MatCreateSeqDense");
  PETSC_TRY(MatDenseGetArray(Gm, &a), "MatDenseGetArray");
  memcpy(a, G, sizeof(double) * (size_t)D * D);
  for (int i = 0; i < D; i++) a[(size_t)i * D + i] += lambda;
  PETSC_TRY(MatDenseRestoreArray(Gm, &a), "MatDenseRestoreArray");
  PETSC_TRY(MatDenseGetArray(Cm, &a), "MatDenseGetArray");
  memcpy(a, C, sizeof(double) * (size_t)D * D);
  PETSC_TRY(MatDenseRestoreArray(Cm, &a), "MatDenseRestoreArray");
  PETSC_TRY(MatAssemblyBegin(Gm, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  PETSC_TRY(MatAssemblyEnd(Gm, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  PETSC_TRY(MatAssemblyBegin(Cm, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  PETSC_TRY(MatAssemblyEnd(Cm, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  PETSC_TRY(MatAssemblyBegin(Xm, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  PETSC_TRY(MatAssemblyEnd(Xm, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
  if (MatCholeskyFactor(Gm, NULL, NULL)) {
    rc = dashi_err(DASHI_ERR_NUMERICS,
                   "learn: the Cholesky factorization of Z^T Z + lambda I failed (not positive "
                   "definite): the training window is rank-deficient; use -ridge > 0");
    goto done;
  }
  MatFactorError ferr;
  PETSC_TRY(MatFactorGetError(Gm, &ferr), "MatFactorGetError");
  if (ferr != MAT_FACTOR_NOERROR) {
    rc = dashi_err(DASHI_ERR_NUMERICS,
                   "learn: zero pivot in the Cholesky factorization of Z^T Z + lambda I: the "
                   "training window is rank-deficient; use -ridge > 0");
    goto done;
  }
  PETSC_TRY(MatMatSolve(Gm, Cm, Xm), "MatMatSolve");
  PETSC_TRY(MatDenseGetArray(Xm, &a), "MatDenseGetArray");
  memcpy(X, a, sizeof(double) * (size_t)D * D);
  PETSC_TRY(MatDenseRestoreArray(Xm, &a), "MatDenseRestoreArray");
done:
  MatDestroy(&Gm);
  MatDestroy(&Cm);
  MatDestroy(&Xm);
  PetscPopErrorHandler();
  return rc;
}

/* eigenvalues (ascending) of the symmetric D x D matrix G (column-major) */
static int sym_eigs(int D, const double *G, double *ev) {
  double *a = malloc(sizeof(double) * (size_t)D * D), wq;
  memcpy(a, G, sizeof(double) * (size_t)D * D);
  PetscBLASInt n = D, lwork = -1, info = 0;
  LAPACKsyev_("N", "U", &n, a, &n, ev, &wq, &lwork, &info);
  lwork = (PetscBLASInt)wq;
  double *work = malloc(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
  LAPACKsyev_("N", "U", &n, a, &n, ev, work, &lwork, &info);
  free(work);
  free(a);
  return info ? dashi_err(DASHI_ERR_NUMERICS, "learn: LAPACK syev failed (info %d)", (int)info) : 0;
}

/* max |eigenvalue| of the D x D matrix A */
static int spectral_radius(int D, const double *A, double *rho) {
  double *a = malloc(sizeof(double) * (size_t)D * D), wq, dummy = 0;
  double *wr = malloc(sizeof(double) * (size_t)D), *wi = malloc(sizeof(double) * (size_t)D);
  memcpy(a, A, sizeof(double) * (size_t)D * D);
  PetscBLASInt n = D, one = 1, lwork = -1, info = 0;
  LAPACKgeev_("N", "N", &n, a, &n, wr, wi, &dummy, &one, &dummy, &one, &wq, &lwork, &info);
  lwork = (PetscBLASInt)wq;
  double *work = malloc(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
  LAPACKgeev_("N", "N", &n, a, &n, wr, wi, &dummy, &one, &dummy, &one, work, &lwork, &info);
  *rho = 0;
  for (int i = 0; i < D; i++) *rho = fmax(*rho, hypot(wr[i], wi[i]));
  free(work);
  free(a);
  free(wr);
  free(wi);
  return info ? dashi_err(DASHI_ERR_NUMERICS, "learn: LAPACK geev failed (info %d)", (int)info) : 0;
}

/* columns [c0, c1) of X^T Y (X, Y: T x D row-major = D x T column-major) into out (column-major) */
static void gram_columns(int T, int D, const double *X, const double *Y, int c0, int c1,
                         double *out) {
  PetscBLASInt m = D, n = c1 - c0, k = T, ld = D;
  double one = 1.0, zero = 0.0;
  if (n <= 0 || T <= 0) return;
  BLASgemm_("N", "T", &m, &n, &k, &one, X, &ld, Y + c0, &ld, &zero, out + (size_t)c0 * D, &ld);
}

static int learn_body(MPI_Comm comm, int T, int D, const double *Z, const double *Zp,
                      const dashi_learn_opts *o, double *A, dashi_fit_report *r, double *scale,
                      double *Zs, double *Zps, double *G, double *C, double *X) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const size_t TD = (size_t)T * D, DD = (size_t)D * D;
  /* column scales: RMS over the window (no centring, so that the model stays linear) */
  for (int j = 0; j < D; j++) scale[j] = 1.0;
  r->zero_columns = 0;
  for (int j = 0; j < D; j++) {
    double s = 0;
    for (int t = 0; t < T; t++) s += Z[(size_t)t * D + j] * Z[(size_t)t * D + j];
    s = sqrt(s / T);
    if (s == 0)
      r->zero_columns++;
    else if (o->standardize)
      scale[j] = s;
  }
  const double *Zu = Z, *Zpu = Zp;
  if (o->standardize) {
    for (size_t k = 0; k < TD; k++) Zs[k] = Z[k] / scale[k % D], Zps[k] = Zp[k] / scale[k % D];
    Zu = Zs, Zpu = Zps;
  }
  int c0 = (int)((long long)D * rank / size), c1 = (int)((long long)D * (rank + 1) / size);
  gram_columns(T, D, Zu, Zu, c0, c1, G);
  gram_columns(T, D, Zu, Zpu, c0, c1, C);
  int counts[size], displs[size];
  for (int p = 0; p < size; p++) {
    int a = (int)((long long)D * p / size), b = (int)((long long)D * (p + 1) / size);
    counts[p] = (b - a) * D;
    displs[p] = a * D;
  }
  DASHI_MPI(
      MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, G, counts, displs, MPI_DOUBLE, comm));
  DASHI_MPI(
      MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, C, counts, displs, MPI_DOUBLE, comm));
  double md = 0;
  for (int i = 0; i < D; i++) md += G[(size_t)i * D + i];
  md /= D;
  if (!(md > 0))
    return dashi_err(DASHI_ERR_INPUT, "learn: the training states are all zero: nothing to learn");
  r->lambda = o->ridge * md;
  /* spectrum of G on rank 0: rank, conditioning */
  double info[4] = {0, 0, 0, 0};
  int erc = 0;
  if (rank == 0) {
    double *ev = malloc(sizeof(double) * (size_t)D);
    erc = sym_eigs(D, G, ev);
    if (!erc) {
      double emax = ev[D - 1], tol = D * DBL_EPSILON * fabs(emax);
      int rk = 0;
      for (int i = 0; i < D; i++) rk += ev[i] > tol;
      info[0] = rk, info[1] = ev[0] + r->lambda, info[2] = emax + r->lambda;
    }
    free(ev);
  }
  DASHI_CALL(dashi_err_agree(comm, erc));
  DASHI_MPI(MPI_Bcast(info, 4, MPI_DOUBLE, 0, comm));
  r->rank = (int)info[0];
  r->rank_deficient = r->rank < D;
  r->eig_min = info[1], r->eig_max = info[2];
  r->cond = r->eig_min > 0 ? r->eig_max / r->eig_min : INFINITY;
  if (!(r->eig_min > D * DBL_EPSILON * r->eig_max))
    return dashi_err(DASHI_ERR_NUMERICS,
                     "learn: Z^T Z + lambda I is singular (numerical rank %d of D=%d from T=%d "
                     "training pairs, lambda=%g): the training window is rank-deficient; use "
                     "-ridge > 0 (e.g. the default 1e-6) or a longer -train_steps",
                     r->rank, D, T, r->lambda);
  DASHI_CALL(cholesky_solve(D, G, r->lambda, C, X));
  /* X[i + j D] = A_ij in the scaled variables; A_ij = X_ij s_j / s_i, stored row-major */
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) A[(size_t)i * D + j] = X[i + (size_t)j * D] * scale[j] / scale[i];
  for (size_t k = 0; k < DD; k++)
    if (!isfinite(A[k]))
      return dashi_err(DASHI_ERR_NUMERICS,
                       "learn: the solve produced non-finite entries in A "
                       "(condition %.3g): raise -ridge",
                       r->cond);
  /* training residual, rows split over the ranks */
  int t0 = (int)((long long)T * rank / size), t1 = (int)((long long)T * (rank + 1) / size);
  double loc[2] = {0, 0}, glob[2];
  if (t1 > t0) {
    PetscBLASInt m = D, n = t1 - t0, k = D, ld = D;
    double one = 1.0, zero = 0.0;
    /* (Z A)^T = A^T Z^T: A row-major is A^T column-major */
    BLASgemm_("N", "N", &m, &n, &k, &one, A, &ld, Z + (size_t)t0 * D, &ld, &zero, Zs, &ld);
    for (size_t q = 0; q < (size_t)(t1 - t0) * D; q++) {
      double d = Zs[q] - Zp[(size_t)t0 * D + q];
      loc[0] += d * d;
      loc[1] += Zp[(size_t)t0 * D + q] * Zp[(size_t)t0 * D + q];
    }
  }
  DASHI_MPI(MPI_Allreduce(loc, glob, 2, MPI_DOUBLE, MPI_SUM, comm));
  r->residual = sqrt(glob[0]);
  r->rel_residual = glob[1] > 0 ? sqrt(glob[0] / glob[1]) : 0.0;
  double rho = 0;
  erc = rank == 0 ? spectral_radius(D, A, &rho) : 0;
  DASHI_CALL(dashi_err_agree(comm, erc));
  DASHI_MPI(MPI_Bcast(&rho, 1, MPI_DOUBLE, 0, comm));
  r->spectral_radius = rho;
  return 0;
}

int dashi_learn(MPI_Comm comm, int T, int D, const double *Z, const double *Zp,
                const dashi_learn_opts *o, double *A, dashi_fit_report *r) {
  memset(r, 0, sizeof *r);
  r->T = T, r->D = D, r->ridge = o->ridge, r->standardize = o->standardize;
  if (T < 1 || D < 1)
    return dashi_err(DASHI_ERR_INPUT, "learn: need at least one training pair (have %d) and D >= 1",
                     T);
  if (!(o->ridge >= 0)) return dashi_err(DASHI_ERR_USAGE, "-ridge %g must be >= 0", o->ridge);
  for (size_t k = 0; k < (size_t)T * D; k++)
    if (!isfinite(Z[k]) || !isfinite(Zp[k]))
      return dashi_err(DASHI_ERR_INPUT, "learn: training state %zu (component %zu) is not finite",
                       k / D, k % D);
  double t0 = dashi_wtime();
  PetscLogEventBegin(dashi_ev_learn, 0, 0, 0, 0);
  size_t TD = (size_t)T * D, DD = (size_t)D * D;
  double *scale = malloc(sizeof(double) * (size_t)D);
  double *Zs = malloc(sizeof(double) * (TD > DD ? TD : DD)), *Zps = malloc(sizeof(double) * TD);
  double *G = malloc(sizeof(double) * DD), *C = malloc(sizeof(double) * DD);
  double *X = malloc(sizeof(double) * DD);
  int rc = learn_body(comm, T, D, Z, Zp, o, A, r, scale, Zs, Zps, G, C, X);
  free(scale);
  free(Zs);
  free(Zps);
  free(G);
  free(C);
  free(X);
  PetscLogEventEnd(dashi_ev_learn, 0, 0, 0, 0);
  r->seconds = dashi_wtime() - t0;
  return rc;
}

void dashi_fit_report_print(MPI_Comm comm, const dashi_fit_report *r) {
  dashi_log(
      comm,
      "learn: A is %dx%d from %d training pairs (ridge %g -> lambda %.4g%s) in %.3f s\n"
      "  training residual ||ZA-Z'||_F = %.4g (relative %.4g)\n"
      "  spectral radius of A = %.6g%s\n"
      "  Z^T Z: numerical rank %d of %d%s; cond(G + lambda I) = %.4g (eigenvalues %.4g .. %.4g)\n",
      r->D, r->D, r->T, r->ridge, r->lambda, r->standardize ? ", standardized columns" : "",
      r->seconds, r->residual, r->rel_residual, r->spectral_radius,
      r->spectral_radius > 1.0 ? "  (> 1: rollouts grow; long rollouts may diverge)" : "", r->rank,
      r->D, r->rank_deficient ? " -- rank-deficient: only the ridge keeps the system solvable" : "",
      r->cond, r->eig_min, r->eig_max);
  if (r->zero_columns)
    dashi_log(comm, "  %d component(s) of z are identically zero in the training window%s\n",
              r->zero_columns, r->standardize ? " (left unscaled)" : "");
}

/* Rank-count invariance of the solver (SPEC §2: the random IC and the ring forcing are keyed by the
 * global mode, so the run must not depend on the decomposition). Run on 4 ranks: the same case —
 * random IC, Smagorinsky (div and lap forms), ring forcing, 50 steps — is computed on sub-
 * communicators of 1, 2 and 4 ranks, the canonical spectral state is gathered on world rank 0 and
 * the diagnostics are compared. Differences come only from the summation order of reductions and
 * of the FFT butterflies over different slab sizes: bound 1e-11 relative. */
#include "test_util.h"

enum { NCASE = 3 };

typedef struct {
  double *state; /* global canonical state on world rank 0 */
  dashi_les_diag d;
  double Ek[17];
} result;

static void run_on(MPI_Comm comm, const dashi_les_config *c, result *r) {
  tu_solver t;
  tu_solver_create(comm, c, &t);
  TU_OK(dashi_les_init_state(t.s));
  for (int n = 0; n < 50; n++) TU_OK(dashi_les_step(t.s));
  TU_OK(dashi_les_diagnostics(t.s, &r->d));
  TU_OK(dashi_les_spectrum(t.s, r->Ek));
  double *loc = tu_state(&t);
  int cnt = 2 * t.g.nky * t.g.N;
  if (!t.g.rank) r->state = malloc(sizeof(double) * (size_t)c->N * c->N);
  MPI_Gather(loc, cnt, MPI_DOUBLE, r->state, cnt, MPI_DOUBLE, 0, comm);
  free(loc);
  tu_solver_destroy(&t);
}

static double rel(double a, double b) {
  return a == b ? 0.0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* compare run r against run 0 on world rank 0; returns the worst relative difference */
static double compare(const result *r0, const result *r, int N, double *state_err) {
  double num = 0, den = 0, worst = 0;
  for (size_t m = 0; m < (size_t)N * N; m++) {
    double d = r->state[m] - r0->state[m];
    num += d * d, den += r0->state[m] * r0->state[m];
    if (isnan(d)) num = NAN;
  }
  *state_err = sqrt(num / den);
  const double a[] = {r0->d.E,   r0->d.Z,         r0->d.P,     r0->d.max_omega,
                      r0->d.cfl, r0->d.nu_t_mean, r0->d.diss_Z};
  const double b[] = {r->d.E,   r->d.Z,         r->d.P,     r->d.max_omega,
                      r->d.cfl, r->d.nu_t_mean, r->d.diss_Z};
  for (int k = 0; k < 7; k++) {
    double q = rel(a[k], b[k]);
    worst = tu_nanmax(worst, q);
  }
  for (int k = 0; k <= N / 2; k++) {
    double q = r0->Ek[k] <= 1e-300 ? 0.0 : fabs(r->Ek[k] - r0->Ek[k]) / r0->Ek[k];
    worst = tu_nanmax(worst, q);
  }
  return worst;
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  int wr, ws;
  MPI_Comm_rank(MPI_COMM_WORLD, &wr);
  MPI_Comm_size(MPI_COMM_WORLD, &ws);
  if (ws != 4) {
    tu_check(false, "this test must run on 4 ranks (got %d)", ws);
    return tu_finish("test_rank_invariance");
  }
  static const int P[3] = {1, 2, 4};
  for (int form = 0; form < 2; form++) {
    dashi_les_config c = tu_default_config(32);
    c.forcing = DASHI_FORCING_RING;
    c.sgs_form = form ? DASHI_SGS_FORM_LAP : DASHI_SGS_FORM_DIV;
    c.seed = 7;
    result r[NCASE];
    memset(r, 0, sizeof r);
    for (int k = 0; k < NCASE; k++) {
      MPI_Comm sub;
      MPI_Comm_split(MPI_COMM_WORLD, wr < P[k] ? 0 : MPI_UNDEFINED, wr, &sub);
      if (sub != MPI_COMM_NULL) {
        run_on(sub, &c, &r[k]);
        MPI_Comm_free(&sub);
      }
      MPI_Barrier(MPI_COMM_WORLD);
    }
    for (int k = 1; k < NCASE; k++) {
      double v[2] = {0, 0};
      if (!wr) v[0] = compare(&r[0], &r[k], c.N, &v[1]);
      MPI_Bcast(v, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
      tu_check(v[1] <= 1e-11, "%s form, ring forcing, 50 steps: state on %d vs 1 rank: rel L2 %.2e",
               form ? "lap" : "div", P[k], v[1]);
      tu_check(v[0] <= 1e-11, "%s form: diagnostics + spectrum on %d vs 1 rank: max rel %.2e",
               form ? "lap" : "div", P[k], v[0]);
    }
    double zinfo[2] = {r[0].d.Z, r[0].d.nu_t_mean};
    MPI_Bcast(zinfo, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    tu_check(zinfo[0] > 0 && zinfo[1] > 0, "the case is non-trivial: Z = %.4g, <nu_t> = %.3g",
             zinfo[0], zinfo[1]);
    for (int k = 0; k < NCASE; k++) free(r[k].state);
  }
  return tu_finish("test_rank_invariance");
}

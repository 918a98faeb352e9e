#include "dashi/grid.h"

#include <math.h>
#include <stdlib.h>

#include "dashi/error.h"

int dashi_grid_create(MPI_Comm comm, int N, dashi_grid *g) {
  g->comm = comm;
  MPI_Comm_rank(comm, &g->rank);
  MPI_Comm_size(comm, &g->size);
  if (N < 4 || N % 2) return dashi_err(DASHI_ERR_USAGE, "-N %d: N must be even and at least 4", N);
  if (N % g->size || (N / 2) % g->size)
    return dashi_err(DASHI_ERR_USAGE,
                     "-N %d is not divisible by the rank count: N and N/2 must be multiples of the "
                     "%d LES ranks (choose N = a multiple of %d, or another rank count)",
                     N, g->size, 2 * g->size);
  g->N = N;
  g->nx = N / g->size;
  g->x0 = g->rank * g->nx;
  g->nky = N / 2 / g->size;
  g->ky0 = g->rank * g->nky;
  g->L = 2.0 * M_PI;
  g->dx = g->L / N;
  return 0;
}

double dashi_dealias_factor(const dashi_grid *g, const dashi_dealias *d, int kx, int ky) {
  if (dashi_is_nyquist(g, kx, ky)) return 0.0;
  int N = g->N;
  switch (d->kind) {
  case DASHI_DEALIAS_NONE:
    return 1.0;
  case DASHI_DEALIAS_TWOTHIRDS:
    return (3 * abs(kx) > N || 3 * abs(ky) > N) ? 0.0 : 1.0;
  case DASHI_DEALIAS_EXP: {
    double kmax = N / 2.0, k = sqrt((double)kx * kx + (double)ky * ky);
    return k >= kmax ? 0.0 : exp(-d->alpha * pow(k / kmax, d->power));
  }
  }
  return 0.0;
}

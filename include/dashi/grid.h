/* Slab decomposition of the N x N periodic grid (L = 2 pi) over the ranks of one communicator.
 *
 * Real space: rank r owns rows x = x0 .. x0+nx-1 of omega[x][y] (y contiguous), nx = N/P.
 * Spectral space (after the global transpose): rank r owns ky = ky0 .. ky0+nky-1 of the half plane
 * ky = 0..N/2-1 with all kx; element [a][b] holds ky = ky0+a, kx = b for b <= N/2, b-N otherwise.
 * The ky = N/2 row is a Nyquist row, identically zero, and is not stored; the kx = N/2 column is
 * stored and kept at zero. Sums over the full plane weight ky = 0 once and ky > 0 twice. */
#ifndef DASHI_GRID_H
#define DASHI_GRID_H
#include <mpi.h>
#include <stdbool.h>

typedef struct {
  MPI_Comm comm;
  int rank, size;
  int N;
  int nx, x0;   /* real-space rows */
  int nky, ky0; /* spectral rows */
  double L, dx;
} dashi_grid;

int dashi_grid_create(MPI_Comm comm, int N, dashi_grid *g);

static inline int dashi_kx(const dashi_grid *g, int b) {
  return b <= g->N / 2 ? b : b - g->N;
}
/* weight of a half-plane mode in a full-plane sum */
static inline double dashi_mode_weight(int ky) {
  return ky == 0 ? 1.0 : 2.0;
}
static inline bool dashi_is_nyquist(const dashi_grid *g, int kx, int ky) {
  return kx == g->N / 2 || -kx == g->N / 2 || ky == g->N / 2;
}

/* Dealiasing multiplier D(k) of SPEC §2 (0 on Nyquist modes). */
typedef enum { DASHI_DEALIAS_NONE, DASHI_DEALIAS_TWOTHIRDS, DASHI_DEALIAS_EXP } dashi_dealias_kind;
typedef struct {
  dashi_dealias_kind kind;
  double alpha, power;
} dashi_dealias;
double dashi_dealias_factor(const dashi_grid *g, const dashi_dealias *d, int kx, int ky);

#endif

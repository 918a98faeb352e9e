/* The v4 encoder in distributed spectral space (SPEC §3). Each rank owns the ky rows of its slab of
 * the canonical spectrum; every mode set is a handful of owner writes plus one reduction, so the
 * result (the proxy state z, O(D) numbers) is available on every rank of the grid communicator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy.h"

struct dashi_encoder {
  dashi_proxy_layout *l;
  const dashi_grid *g;
  double *Hx;          /* [N][2]: H(kx) of column b */
  double *Hy;          /* [nky][2]: H(ky) of local row a */
  uint8_t *is_anc;     /* [(mid_cut+1)][2 mid_cut+1]: half-plane representative is an anchor */
  double *zloc, *zsum; /* D values + the two band energies, reduced together */
};

static int anc_index(const dashi_proxy_layout *l, int kx, int ky) {
  if (ky == 0 && kx < 0) kx = -kx; /* conjugate representative */
  return ky * (2 * l->cfg.mid_cut + 1) + kx + l->cfg.mid_cut;
}

static void build_anchor_table(dashi_encoder *e) {
  const dashi_proxy_layout *l = e->l;
  memset(e->is_anc, 0, (size_t)(l->cfg.mid_cut + 1) * (2 * l->cfg.mid_cut + 1));
  for (int i = 0; i < l->K; i++) e->is_anc[anc_index(l, l->anchors[i].kx, l->anchors[i].ky)] = 1;
}

int dashi_encoder_create(dashi_proxy_layout *l, const dashi_grid *g, dashi_encoder **out) {
  if (g->N != l->cfg.N)
    return dashi_err(DASHI_ERR_INPUT, "proxy configured for N=%d used on a grid of N=%d", l->cfg.N,
                     g->N);
  dashi_encoder *e = calloc(1, sizeof *e);
  e->l = l;
  e->g = g;
  e->Hx = malloc(sizeof(double) * 2 * (size_t)g->N);
  e->Hy = malloc(sizeof(double) * 2 * (size_t)(g->nky ? g->nky : 1));
  for (int b = 0; b < g->N; b++)
    dashi_box_transfer(g->N, l->cfg.smooth_k, dashi_kx(g, b), e->Hx + 2 * b);
  for (int a = 0; a < g->nky; a++)
    dashi_box_transfer(g->N, l->cfg.smooth_k, g->ky0 + a, e->Hy + 2 * a);
  e->is_anc = calloc((size_t)(l->cfg.mid_cut + 1) * (2 * l->cfg.mid_cut + 1), 1);
  e->zloc = malloc(sizeof(double) * (size_t)(l->D + 2));
  e->zsum = malloc(sizeof(double) * (size_t)(l->D + 2));
  if (l->frozen) build_anchor_table(e);
  *out = e;
  return 0;
}

void dashi_encoder_destroy(dashi_encoder *e) {
  if (!e) return;
  free(e->Hx);
  free(e->Hy);
  free(e->is_anc);
  free(e->zloc);
  free(e->zsum);
  free(e);
}

/* R_hat = w_hat (1 - H(kx) H(ky)) at local mode (a, b) */
static inline void resid(const dashi_encoder *e, const double *canon, int a, int b, double r[2]) {
  const double *hx = e->Hx + 2 * b, *hy = e->Hy + 2 * a;
  double hr = hx[0] * hy[0] - hx[1] * hy[1], hi = hx[0] * hy[1] + hx[1] * hy[0];
  double fr = 1.0 - hr, fi = -hi;
  const double *w = canon + 2 * ((size_t)a * e->g->N + b);
  r[0] = w[0] * fr - w[1] * fi;
  r[1] = w[0] * fi + w[1] * fr;
}

typedef struct {
  double mag2, flat, kx, ky;
} cand;

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  if (a->mag2 != b->mag2) return a->mag2 > b->mag2 ? -1 : 1;
  return (a->flat > b->flat) - (a->flat < b->flat);
}

/* top-K |R_hat|^2 on M over all ranks; ties: lower flat index ky*N + (kx mod N) first */
static int choose_anchors(dashi_encoder *e, const double *canon) {
  dashi_proxy_layout *l = e->l;
  const dashi_grid *g = e->g;
  int k2lo = l->cfg.k_cut * l->cfg.k_cut, k2hi = l->cfg.mid_cut * l->cfg.mid_cut;
  cand *mine = malloc(sizeof(cand) * (size_t)(l->nM + 1));
  int n = 0;
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    if (ky > l->cfg.mid_cut) break;
    for (int b = 0; b < g->N; b++) {
      int kx = dashi_kx(g, b), k2 = kx * kx + ky * ky;
      if (!(ky > 0 || kx > 0) || k2 <= k2lo || k2 > k2hi) continue;
      double r[2];
      resid(e, canon, a, b, r);
      mine[n++] = (cand){r[0] * r[0] + r[1] * r[1], (double)ky * g->N + b, kx, ky};
    }
  }
  int counts[g->size], displs[g->size], mycount = 4 * n;
  DASHI_MPI(MPI_Allgather(&mycount, 1, MPI_INT, counts, 1, MPI_INT, g->comm));
  int tot = 0;
  for (int r = 0; r < g->size; r++) displs[r] = tot, tot += counts[r];
  if (tot / 4 != l->nM) {
    free(mine);
    return dashi_err(DASHI_ERR_GENERIC, "internal error: %d mid-band modes found, expected %d",
                     tot / 4, l->nM);
  }
  cand *all = malloc(sizeof(cand) * (size_t)(l->nM + 1));
  DASHI_MPI(MPI_Allgatherv(mine, mycount, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, g->comm));
  qsort(all, (size_t)l->nM, sizeof *all, cand_cmp);
  dashi_mode *sel = malloc(sizeof *sel * (size_t)(l->K + 1));
  for (int i = 0; i < l->K; i++) sel[i] = (dashi_mode){(int)all[i].kx, (int)all[i].ky};
  int rc = dashi_proxy_layout_set_anchors(l, l->K, sel);
  free(sel);
  free(all);
  free(mine);
  DASHI_CALL(rc);
  build_anchor_table(e);
  return 0;
}

static bool owns(const dashi_grid *g, int ky) {
  return ky >= g->ky0 && ky < g->ky0 + g->nky;
}

static int encode_body(dashi_encoder *e, const double *canon, const double *slab, double *z) {
  dashi_proxy_layout *l = e->l;
  const dashi_grid *g = e->g;
  const int N = g->N, hdr = dashi_z_hdr(l), kept = dashi_z_kept(l);
  const double inv = 1.0 / ((double)N * N);
  double *zl = e->zloc;
  memset(zl, 0, sizeof(double) * (size_t)l->D);
  for (int i = 0; i < l->nL; i++) {
    int kx = l->L[i].kx, ky = l->L[i].ky;
    if (!owns(g, ky)) continue;
    const double *w = canon + 2 * ((size_t)(ky - g->ky0) * N + (kx + N) % N);
    zl[i] = w[0] * inv;
    zl[l->nL + i] = w[1] * inv;
  }
  for (int i = 0; i < l->K; i++) {
    int kx = l->anchors[i].kx, ky = l->anchors[i].ky;
    if (!owns(g, ky)) continue;
    double r[2];
    resid(e, canon, ky - g->ky0, (kx + N) % N, r);
    zl[kept + i] = r[0] * inv;
    zl[kept + l->K + i] = r[1] * inv;
  }
  /* residual energies: E_mid on M minus the anchors, E_high on |k| > mid_cut (full plane);
   * |R_hat|^2 = |w_hat|^2 |1 - H(kx) H(ky)|^2 */
  const int k2lo = l->cfg.k_cut * l->cfg.k_cut, k2hi = l->cfg.mid_cut * l->cfg.mid_cut;
  double en[2] = {0, 0};
  for (int a = 0; a < g->nky; a++) {
    int ky = g->ky0 + a;
    const double *row = canon + 2 * (size_t)a * N, *hy = e->Hy + 2 * a, *hx = e->Hx;
    double w = dashi_mode_weight(ky), emid = 0, ehigh = 0;
    if (ky > l->cfg.mid_cut) { /* the whole row is in the high band */
      for (int b = 0; b < N; b++) {
        double hr = 1.0 - (hx[2 * b] * hy[0] - hx[2 * b + 1] * hy[1]);
        double hi = hx[2 * b] * hy[1] + hx[2 * b + 1] * hy[0];
        ehigh += (row[2 * b] * row[2 * b] + row[2 * b + 1] * row[2 * b + 1]) * (hr * hr + hi * hi);
      }
    } else {
      for (int b = 0; b < N; b++) {
        int kx = dashi_kx(g, b), k2 = kx * kx + ky * ky;
        if (k2 <= k2lo) continue;
        double r[2];
        resid(e, canon, a, b, r);
        double m2 = r[0] * r[0] + r[1] * r[1];
        if (k2 > k2hi)
          ehigh += m2;
        else if (!e->is_anc[anc_index(l, kx, ky)])
          emid += m2;
      }
    }
    en[0] += w * emid;
    en[1] += w * ehigh;
  }
  zl[l->D] = en[0], zl[l->D + 1] = en[1];
  /* support fraction on the truth grid: |w| > tau max|w| */
  double mx = 0, gmx;
  size_t cells = (size_t)g->nx * N;
  for (size_t k = 0; k < cells; k++) {
    double v = fabs(slab[k]);
    mx = v > mx ? v : mx;
  }
  DASHI_MPI(MPI_Allreduce(&mx, &gmx, 1, MPI_DOUBLE, MPI_MAX, g->comm));
  long long cnt = 0, gcnt;
  const double thr = l->cfg.tau * gmx;
  if (gmx > 0)
    for (size_t k = 0; k < cells; k++) cnt += fabs(slab[k]) > thr;
  DASHI_MPI(MPI_Allreduce(&cnt, &gcnt, 1, MPI_LONG_LONG, MPI_SUM, g->comm));
  /* every entry has exactly one owner: the sum is exact and the same on every rank */
  DASHI_MPI(MPI_Allreduce(zl, e->zsum, l->D + 2, MPI_DOUBLE, MPI_SUM, g->comm));
  memcpy(z, e->zsum, sizeof(double) * (size_t)l->D);
  const double *tot = e->zsum + l->D;
  double n4 = (double)N * N * (double)N * N;
  z[hdr + DASHI_HDR_SUPPORT] = (double)gcnt / ((double)N * N);
  z[hdr + DASHI_HDR_EMID] = 0.5 * tot[0] / n4;
  z[hdr + DASHI_HDR_EHIGH] = 0.5 * tot[1] / n4;
  z[hdr + DASHI_HDR_K] = l->K;
  return 0;
}

int dashi_encode(dashi_encoder *e, const double *canon, const double *slab, double *z) {
  if (!e->l->frozen) DASHI_CALL(choose_anchors(e, canon));
  PetscLogEventBegin(dashi_ev_encode, 0, 0, 0, 0);
  int rc = encode_body(e, canon, slab, z);
  PetscLogEventEnd(dashi_ev_encode, 0, 0, 0, 0);
  return rc;
}

int dashi_truncate_gather(const dashi_grid *g, const double *canon, int n, double *out, int root) {
  const int N = g->N, H = n / 2;
  if (n % 2 || n < 4 || n > N)
    return dashi_err(DASHI_ERR_USAGE, "decode resolution %d must be even, >= 4 and <= N=%d", n, N);
  int rows = 0;
  for (int a = 0; a < g->nky; a++) rows += g->ky0 + a < H;
  double *mine = malloc(sizeof(double) * 2 * (size_t)n * (rows ? rows : 1));
  const double s = ((double)n * n) / ((double)N * N);
  for (int a = 0; a < rows; a++)
    for (int bn = 0; bn < n; bn++) {
      double *o = mine + 2 * ((size_t)a * n + bn);
      if (bn == H) {
        o[0] = o[1] = 0;
        continue;
      }
      int kx = bn < H ? bn : bn - n;
      const double *w = canon + 2 * ((size_t)a * N + (kx + N) % N);
      o[0] = w[0] * s;
      o[1] = w[1] * s;
    }
  int counts[g->size], displs[g->size], mine_n = 2 * n * rows;
  DASHI_MPI(MPI_Gather(&mine_n, 1, MPI_INT, counts, 1, MPI_INT, root, g->comm));
  int tot = 0;
  for (int r = 0; r < g->size && g->rank == root; r++) displs[r] = tot, tot += counts[r];
  int rc = MPI_Gatherv(mine, mine_n, MPI_DOUBLE, out, counts, displs, MPI_DOUBLE, root, g->comm);
  free(mine);
  return rc == MPI_SUCCESS ? 0
                           : dashi_err(DASHI_ERR_MPI, "MPI_Gatherv of the truncated truth failed");
}

/* The ternary carrier of the decode (SPEC §6 steps 2-5) on an n x n periodic grid, index [x][y]:
 * threshold, 3x3 majority, annihilation with its coherence history, and fining lifetimes.
 * Every sweep is synchronous (reads the previous state, writes a new one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/proxy.h"

int dashi_carrier_threshold(int n, const double *w, double tau, int8_t *s, double *maxabs) {
  size_t cells = (size_t)n * n;
  double mx = 0;
  for (size_t k = 0; k < cells; k++) mx = fmax(mx, fabs(w[k]));
  double thr = tau * mx;
  int cnt = 0;
  for (size_t k = 0; k < cells; k++) {
    int8_t v = 0;
    if (mx > 0 && fabs(w[k]) > thr) v = w[k] > 0 ? 1 : -1;
    s[k] = v;
    cnt += v != 0;
  }
  if (maxabs) *maxabs = mx;
  return cnt;
}

int dashi_carrier_majority(int n, const int8_t *in, int8_t *out) {
  int cnt = 0;
  for (int i = 0; i < n; i++) {
    const int8_t *rows[3] = {in + (size_t)((i + n - 1) % n) * n, in + (size_t)i * n,
                             in + (size_t)((i + 1) % n) * n};
    for (int j = 0; j < n; j++) {
      size_t k = (size_t)i * n + j;
      if (!in[k]) {
        out[k] = 0;
        continue;
      }
      int jm = (j + n - 1) % n, jp = (j + 1) % n, sum = 0;
      for (int r = 0; r < 3; r++) sum += rows[r][jm] + rows[r][j] + rows[r][jp];
      out[k] = (int8_t)((sum > 0) - (sum < 0));
      cnt += out[k] != 0;
    }
  }
  return cnt;
}

/* one sweep: cells whose opposite-sign 4-neighbours outnumber their same-sign ones switch off */
static int annihilate_sweep(int n, const int8_t *in, int8_t *out) {
  int off = 0;
  for (int i = 0; i < n; i++) {
    const int8_t *up = in + (size_t)((i + n - 1) % n) * n, *row = in + (size_t)i * n,
                 *dn = in + (size_t)((i + 1) % n) * n;
    for (int j = 0; j < n; j++) {
      int8_t v = row[j];
      size_t k = (size_t)i * n + j;
      out[k] = v;
      if (!v) continue;
      int8_t nb[4] = {up[j], dn[j], row[(j + n - 1) % n], row[(j + 1) % n]};
      int same = 0, opp = 0;
      for (int q = 0; q < 4; q++) same += nb[q] == v, opp += nb[q] == -v;
      if (opp > same) out[k] = 0, off++;
    }
  }
  return off;
}

int dashi_carrier_annihilate(int n, int8_t *s, int8_t *tmp, int plateau, int max_iters,
                             int *history, int *iters_done) {
  int it = 0;
  while (it < max_iters) {
    int off = annihilate_sweep(n, s, tmp);
    memcpy(s, tmp, (size_t)n * n);
    if (history) history[it] = off;
    it++;
    if (off < plateau) break;
  }
  if (iters_done) *iters_done = it;
  int cnt = 0;
  for (size_t k = 0; k < (size_t)n * n; k++) cnt += s[k] != 0;
  return cnt;
}

int dashi_fining_create(int n, dashi_fining **out) {
  dashi_fining *f = calloc(1, sizeof *f);
  size_t cells = (size_t)n * n;
  f->n = n;
  f->life = calloc(cells, sizeof *f->life);
  f->cool = calloc(cells, 1);
  f->killed = calloc(cells, 1);
  f->hist = calloc(65536, sizeof *f->hist);
  if (!f->life || !f->cool || !f->killed || !f->hist) {
    dashi_fining_destroy(f);
    return dashi_err(DASHI_ERR_GENERIC, "out of memory for the fining state of a %dx%d grid", n, n);
  }
  *out = f;
  return 0;
}

void dashi_fining_destroy(dashi_fining *f) {
  if (!f) return;
  free(f->life);
  free(f->cool);
  free(f->killed);
  free(f->hist);
  free(f);
}

void dashi_fining_update(dashi_fining *f, int8_t *s, dashi_fining_stats *st) {
  size_t cells = (size_t)f->n * f->n;
  int alive = 0, killed_now = 0, maxlife = 0;
  double sum = 0;
  for (size_t k = 0; k < cells; k++) {
    if (f->killed[k]) s[k] = 0;
    if (s[k]) {
      if (f->life[k] < 65535) f->life[k]++;
      f->cool[k] = DASHI_COOL_MAX;
      alive++;
      sum += f->life[k];
      if (f->life[k] > maxlife) maxlife = f->life[k];
    } else if (f->cool[k] > 0) {
      f->cool[k]--;
    } else if (f->life[k] > 0) {
      f->life[k] = f->life[k] > DASHI_LIFE_DECAY ? f->life[k] - DASHI_LIFE_DECAY : 0;
      if (f->life[k] == 0) f->killed[k] = 1, killed_now++;
    }
  }
  f->killed_total += killed_now;
  st->alive = alive;
  st->killed_now = killed_now;
  st->killed_total = f->killed_total;
  st->mean_life = alive ? sum / alive : 0.0;
  st->p95_life = 0;
  if (alive) {
    memset(f->hist, 0, sizeof(uint32_t) * (size_t)(maxlife + 1));
    for (size_t k = 0; k < cells; k++)
      if (s[k]) f->hist[f->life[k]]++;
    /* smallest life L with at least 95% of the alive cells at or below L */
    long long need = (long long)ceil(0.95 * alive), acc = 0;
    for (int L = 0; L <= maxlife; L++) {
      acc += f->hist[L];
      if (acc >= need) {
        st->p95_life = L;
        break;
      }
    }
  }
}

/* Scores of a decoded field against the truth at the decode resolution (SPEC §7). */
#include <math.h>

#include "dashi/proxy.h"

const char *const dashi_score_names[DASHI_NSCORES] = {"rel_l2", "corr",     "dE",
                                                      "dZ",     "spec_err", "z_err"};
const char *const dashi_cstat_names[DASHI_NCSTATS] = {
    "support", "after_majority", "after_annihilation", "annihilate_iters",
    "alive",   "mean_life",      "p95_life",           "killed",
    "gain",    "e_target",       "residual_skipped"};

/* sums of squares are taken of values scaled by their maximum, so that a large but finite
 * decoded field (a growing rollout) gives a finite score instead of an overflow */
void dashi_score(int n, const dashi_field_summary *dec, const dashi_field_summary *tru,
                 double *sc) {
  size_t cells = (size_t)n * n;
  double md = 0, mt = 0, sd = 0, st = 0, se = 0;
  for (size_t k = 0; k < cells; k++) {
    md += dec->omega[k], mt += tru->omega[k];
    sd = fmax(sd, fabs(dec->omega[k])), st = fmax(st, fabs(tru->omega[k]));
  }
  for (size_t k = 0; k < cells; k++) se = fmax(se, fabs(dec->omega[k] - tru->omega[k]));
  md /= (double)cells, mt /= (double)cells;
  double e2 = 0, tt = 0, cdt = 0, dd = 0, vt = 0;
  double id = sd > 0 ? 1 / sd : 0, it = st > 0 ? 1 / st : 0, ie = se > 0 ? 1 / se : 0;
  for (size_t k = 0; k < cells; k++) {
    double a = (dec->omega[k] - md) * id, b = (tru->omega[k] - mt) * it;
    double e = (dec->omega[k] - tru->omega[k]) * ie, t = tru->omega[k] * it;
    e2 += e * e, tt += t * t, cdt += a * b, dd += a * a, vt += b * b;
  }
  sc[DASHI_SC_REL_L2] = tt > 0 ? (se / st) * sqrt(e2 / tt) : NAN;
  sc[DASHI_SC_CORR] = dd > 0 && vt > 0 ? cdt / sqrt(dd * vt) : NAN;
  sc[DASHI_SC_DE] = dec->E - tru->E;
  sc[DASHI_SC_DZ] = dec->Z - tru->Z;
  double sp = 0, sq = 0;
  for (int k = 0; k <= n / 2; k++) sp += fabs(dec->Ek[k] - tru->Ek[k]), sq += tru->Ek[k];
  sc[DASHI_SC_SPEC] = sq > 0 ? sp / sq : NAN;
  sc[DASHI_SC_ZERR] = NAN; /* filled by the caller from the proxy states */
}

double dashi_z_error(const dashi_proxy_layout *l, const double *zp, const double *zt) {
  int kidx = dashi_z_hdr(l) + DASHI_HDR_K;
  double se = 0, st = 0, e = 0, t = 0;
  for (int i = 0; i < l->D; i++) {
    if (i == kidx) continue;
    double de = fabs(zp[i] - zt[i]);
    if (!(de <= se)) se = de; /* NaN-propagating max: a non-finite zp never scores 0 */
    st = fmax(st, fabs(zt[i]));
  }
  if (!(st > 0)) return NAN;
  if (se == 0) return 0.0;
  for (int i = 0; i < l->D; i++) {
    if (i == kidx) continue;
    double a = (zp[i] - zt[i]) / se, b = zt[i] / st;
    e += a * a, t += b * b;
  }
  return (se / st) * sqrt(e / t);
}

void dashi_cstats_fill(const dashi_decode_stats *st, double *o) {
  o[DASHI_CS_SUPPORT] = st->support;
  o[DASHI_CS_MAJORITY] = st->after_majority;
  o[DASHI_CS_ANNIHILATED] = st->after_annihilation;
  o[DASHI_CS_ITERS] = st->annih_iters;
  o[DASHI_CS_ALIVE] = st->fin.alive;
  o[DASHI_CS_MEAN_LIFE] = st->fin.mean_life;
  o[DASHI_CS_P95_LIFE] = st->fin.p95_life;
  o[DASHI_CS_KILLED] = st->fin.killed_now;
  o[DASHI_CS_GAIN] = st->gain;
  o[DASHI_CS_ETARGET] = st->e_target;
  o[DASHI_CS_SKIPPED] = st->residual_skipped;
}

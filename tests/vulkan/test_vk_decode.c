/* The GPU decode (include/dashi/vk_decode.h) against the CPU functions of SPEC §6, on lavapipe in
 * CI:
 *  (a) hand-made grids: threshold with cells exactly at tau*max (and one ulp above), majority
 *      ties, annihilation with the per-member plateau stop (members stopping at different sweeps,
 *      a plateau above 1, a sweep limit), fining life/cool/kill over several decodes (and from a
 *      set state with lives beyond 255 and at 65535) -- the GPU carrier, history, statistics and
 *      fining state equal dashi_carrier_threshold/majority/annihilate/dashi_fining_update bit for
 *      bit;
 *  (b) random fields, several members, n = 64 and n = 48, the CPU's own low-pass field fed to the
 *      GPU carrier: carrier, history, statistics, fining state and omega_dec identical to
 *      dashi_decode;
 *  (c) the full GPU decode of z (VkFFT) against dashi_decode (FFTW): omega within 1e-12
 *      relative, the carrier identical (or different only at cells within round-off of the
 *      threshold), one queue submit per decode. */
#include "../proxy/ptest.h"
#include "dashi/rng.h"
#include "dashi/vk_decode.h"

/* steps 2-6 of dashi_decode on a given low-pass field, with the CPU functions */
static void cpu_carrier(const dashi_decode_params *p, const double *wlp, double e_target,
                        dashi_fining *f, double *omega, dashi_decode_stats *st, int *hist,
                        int8_t *carrier, int8_t *thr) {
  const int n = p->n;
  const size_t cells = (size_t)n * n;
  int8_t *s = malloc(cells), *s2 = malloc(cells);
  memset(st, 0, sizeof *st);
  st->support = dashi_carrier_threshold(n, wlp, p->tau, s, &st->max_lp);
  if (thr) memcpy(thr, s, cells);
  st->after_majority = dashi_carrier_majority(n, s, s2);
  for (int i = 0; i < p->iters; i++) hist[i] = -1;
  st->after_annihilation =
      dashi_carrier_annihilate(n, s2, s, p->plateau, p->iters, hist, &st->annih_iters);
  dashi_fining_update(f, s2, &st->fin);
  int nz = 0;
  for (size_t k = 0; k < cells; k++) nz += s2[k] != 0;
  st->e_target = e_target;
  memcpy(omega, wlp, sizeof(double) * cells);
  if (p->residual) {
    if (e_target > 0 && nz > 0) {
      st->gain = sqrt(2.0 * e_target * (double)cells / nz);
      for (size_t k = 0; k < cells; k++) omega[k] += st->gain * s2[k];
    } else {
      st->residual_skipped = true;
    }
  }
  memcpy(carrier, s2, cells);
  free(s), free(s2);
}

static bool stats_equal(const dashi_decode_stats *a, const dashi_decode_stats *b) {
  return a->max_lp == b->max_lp && a->support == b->support &&
         a->after_majority == b->after_majority && a->after_annihilation == b->after_annihilation &&
         a->annih_iters == b->annih_iters && a->fin.alive == b->fin.alive &&
         a->fin.killed_now == b->fin.killed_now && a->fin.killed_total == b->fin.killed_total &&
         a->fin.mean_life == b->fin.mean_life && a->fin.p95_life == b->fin.p95_life &&
         a->e_target == b->e_target && a->gain == b->gain &&
         a->residual_skipped == b->residual_skipped;
}

/* everything of a batched GPU decode and its CPU reference */
typedef struct {
  int m, n, iters;
  size_t cells;
  double *wlp, *et, *om_g, *om_c;
  int8_t *s_g, *s_c, *t_g, *t_c;
  int *h_g, *h_c;
  dashi_decode_stats *st_g, *st_c;
  dashi_fining **fin;
  uint16_t *life;
  uint8_t *cool, *killed;
} run;

static void run_init(run *r, int m, const dashi_decode_params *p) {
  r->m = m, r->n = p->n, r->iters = p->iters;
  size_t c = r->cells = (size_t)p->n * p->n, mc = c * m, hi = (size_t)m * (p->iters + 1);
  r->wlp = malloc(sizeof(double) * mc), r->et = calloc((size_t)m, sizeof(double));
  r->om_g = malloc(sizeof(double) * mc), r->om_c = malloc(sizeof(double) * mc);
  r->s_g = malloc(mc), r->s_c = malloc(mc), r->t_g = malloc(c), r->t_c = malloc(mc);
  r->h_g = malloc(sizeof(int) * hi), r->h_c = malloc(sizeof(int) * hi);
  r->st_g = calloc((size_t)m, sizeof *r->st_g), r->st_c = calloc((size_t)m, sizeof *r->st_c);
  r->fin = calloc((size_t)m, sizeof *r->fin);
  for (int j = 0; j < m; j++) TU_OK(dashi_fining_create(p->n, &r->fin[j]));
  r->life = malloc(2 * c), r->cool = malloc(c), r->killed = malloc(c);
}

static void run_free(run *r) {
  for (int j = 0; j < r->m; j++) dashi_fining_destroy(r->fin[j]);
  free(r->fin), free(r->wlp), free(r->et), free(r->om_g), free(r->om_c), free(r->s_g);
  free(r->s_c), free(r->t_g), free(r->t_c), free(r->h_g), free(r->h_c), free(r->st_g);
  free(r->st_c), free(r->life), free(r->cool), free(r->killed);
}

/* the CPU reference of the m members on r->wlp (advances the CPU fining states) */
static void run_cpu(run *r, const dashi_decode_params *p) {
  size_t c = r->cells;
  for (int j = 0; j < r->m; j++)
    cpu_carrier(p, r->wlp + j * c, r->et[j], r->fin[j], r->om_c + j * c, &r->st_c[j],
                r->h_c + (size_t)j * r->iters, r->s_c + j * c, r->t_c + j * c);
}

/* GPU == CPU bit for bit: threshold carrier, final carrier, history, statistics, fining state,
 * omega; returns the number of members that differ (with the first difference printed) */
static int run_compare(run *r, dashi_vk_decoder *d, const char *what) {
  int bad = 0;
  size_t c = r->cells;
  for (int j = 0; j < r->m; j++) {
    const char *why = NULL;
    TU_OK(dashi_vk_decoder_threshold(d, j, r->t_g));
    TU_OK(dashi_vk_decoder_fining(d, j, r->life, r->cool, r->killed));
    if (memcmp(r->t_g, r->t_c + j * c, c))
      why = "threshold carrier";
    else if (memcmp(r->s_g + j * c, r->s_c + j * c, c))
      why = "carrier";
    else if (memcmp(r->h_g + (size_t)j * r->iters, r->h_c + (size_t)j * r->iters,
                    sizeof(int) * (size_t)r->iters))
      why = "history";
    else if (!stats_equal(&r->st_g[j], &r->st_c[j]))
      why = "statistics";
    else if (memcmp(r->life, r->fin[j]->life, 2 * c) || memcmp(r->cool, r->fin[j]->cool, c) ||
             memcmp(r->killed, r->fin[j]->killed, c))
      why = "fining state";
    else if (memcmp(r->om_g + j * c, r->om_c + j * c, sizeof(double) * c))
      why = "omega";
    if (why && !bad++) {
      const dashi_decode_stats *g = &r->st_g[j], *q = &r->st_c[j];
      tu_note("    %s: member %d differs first in its %s (GPU/CPU: support %d/%d, majority "
              "%d/%d, annihilation %d/%d in %d/%d sweeps, alive %d/%d, killed %d/%d, mean life "
              "%.17g/%.17g, p95 %d/%d, gain %.17g/%.17g)\n",
              what, j, why, g->support, q->support, g->after_majority, q->after_majority,
              g->after_annihilation, q->after_annihilation, g->annih_iters, q->annih_iters,
              g->fin.alive, q->fin.alive, g->fin.killed_now, q->fin.killed_now, g->fin.mean_life,
              q->fin.mean_life, g->fin.p95_life, q->fin.p95_life, g->gain, q->gain);
    }
  }
  return bad;
}

/* one decode of given low-pass fields on both sides, compared */
static int run_step(run *r, dashi_vk_decoder *d, const dashi_decode_params *p, const char *what) {
  TU_OK(dashi_vk_decode_carrier(d, r->wlp, r->et, r->om_g, r->st_g, r->h_g, r->s_g));
  run_cpu(r, p);
  return run_compare(r, d, what);
}

static double gauss(uint64_t seed, uint64_t a, uint32_t b) {
  double g[2];
  dashi_gauss2(seed, 7, a, b / 2, g);
  return g[b % 2];
}

static void put(run *r, int j, int x, int y, double v) {
  r->wlp[(size_t)j * r->cells + (size_t)x * r->n + y] = v;
}

/* (a) hand-made grids */
static void test_hand_made(const dashi_proxy_layout *l) {
  const int n = 32, m = 4;
  dashi_decode_params p = {.n = n, .tau = 0.3, .plateau = 1, .iters = 8, .residual = true};
  dashi_vk_decoder *d;
  TU_OK(dashi_vk_decoder_create(MPI_COMM_WORLD, l, &p, m, -1, &d));
  tu_note("  device: %s\n", dashi_vk_decoder_device(d));
  run r;
  run_init(&r, m, &p);
  memset(r.wlp, 0, sizeof(double) * r.cells * m);
  /* member 0: max 3, thr = 0.3 * 3 = 0.8999999999999999 (not 0.9): isolated cells exactly at the
   * threshold (off), one ulp above (on), 0.9 (on), and just below (off) */
  const double thr = 0.3 * 3.0, up = nextafter(thr, 1.0), dn = nextafter(thr, 0.0);
  put(&r, 0, 1, 1, 3.0), put(&r, 0, 3, 3, thr), put(&r, 0, 5, 5, -thr), put(&r, 0, 7, 7, up);
  put(&r, 0, 9, 9, -up), put(&r, 0, 11, 11, 0.9), put(&r, 0, 13, 13, dn), put(&r, 0, 15, 15, -0.9);
  put(&r, 0, 31, 31, -dn);
  r.et[0] = 0.01;
  /* member 1: majority ties (1+/1- adjacent: both off), a - among two + (flips), a periodic
   * corner pattern, a 2+/2- square (ties) */
  put(&r, 1, 2, 2, 1), put(&r, 1, 3, 2, -1);
  put(&r, 1, 8, 8, -1), put(&r, 1, 9, 8, 1), put(&r, 1, 9, 9, 1);
  put(&r, 1, 0, 0, 1), put(&r, 1, 0, 31, 1), put(&r, 1, 31, 0, 1), put(&r, 1, 31, 31, -1);
  put(&r, 1, 20, 20, 1), put(&r, 1, 20, 21, -1), put(&r, 1, 21, 20, -1), put(&r, 1, 21, 21, 1);
  r.et[1] = 0.02;
  /* member 2: a checkerboard (survives the majority, all off in the first sweep: history
   * [1024, 0], 2 sweeps); member 3: white noise (other sweep counts) */
  for (int x = 0; x < n; x++)
    for (int y = 0; y < n; y++) {
      put(&r, 2, x, y, (x + y) % 2 ? 1.0 : -1.0);
      put(&r, 3, x, y, gauss(11, 3, (uint32_t)(x * n + y)));
    }
  r.et[2] = -0.01, r.et[3] = 0.0;
  int bad = run_step(&r, d, &p, "hand-made");
  tu_check(!bad && r.st_g[0].support == 5 && r.st_g[0].max_lp == 3.0,
           "(a) threshold at tau*max exactly: cells at 0.3*3 = %.17g and below off, one ulp above "
           "and 0.9 on (%d supported); carrier, stats, fining, omega == CPU",
           thr, r.st_g[0].support);
  const int8_t *s1 = r.s_g + r.cells;
  tu_check(!bad && r.st_g[1].after_majority == 7 && s1[2 * n + 2] == 0 && s1[3 * n + 2] == 0 &&
               s1[8 * n + 8] == 1 && s1[31 * n + 31] == 1 && s1[20 * n + 20] == 0,
           "(a) majority: 1+/1- tie off, a - beside two + flips, the periodic corner flips, the "
           "2x2 checker square off (%d left)",
           r.st_g[1].after_majority);
  tu_check(!bad && r.h_g[2 * 8] == n * n && r.h_g[2 * 8 + 1] == 0 && r.h_g[2 * 8 + 2] == -1 &&
               r.st_g[2].annih_iters == 2 && r.st_g[2].residual_skipped &&
               r.st_g[3].residual_skipped,
           "(a) checkerboard: history [%d, %d, %d...] (stops at the plateau after 2 sweeps); "
           "e_target <= 0 skipped",
           r.h_g[16], r.h_g[17], r.h_g[18]);
  /* several decodes: fining life/cool/kill from white noise of changing seeds */
  int fbad = 0, kills = 0, iters_seen = 0, mixed = 0;
  for (int t = 0; t < 8; t++) {
    for (int j = 0; j < m; j++)
      for (size_t k = 0; k < r.cells; k++) {
        double g = gauss(100 + t, (uint64_t)j, (uint32_t)k);
        r.wlp[j * r.cells + k] = j == 0 ? g : g + 0.8 * (j - 1.5); /* biased members */
      }
    for (int j = 0; j < m; j++) r.et[j] = 0.01 * (j + 1);
    fbad += run_step(&r, d, &p, "fining sequence");
    unsigned now = 0;
    for (int j = 0; j < m; j++) {
      kills += r.st_c[j].fin.killed_now;
      now |= 1u << r.st_c[j].annih_iters;
    }
    iters_seen |= (int)now;
    mixed += __builtin_popcount(now) >= 2;
  }
  int distinct = __builtin_popcount((unsigned)iters_seen);
  tu_check(!fbad && kills > 0 && distinct >= 2 && mixed > 0,
           "(a) 8 decodes of 4 members: life/cool/kill state, alive, kills (%d in all), mean and "
           "p95 life == dashi_fining_update bit for bit; %d different sweep counts, members of "
           "one batch stopping at different sweeps in %d decodes",
           kills, distinct, mixed);
  /* a set state: lives beyond 255 (the p95's high byte), at 65534/65535 (saturation), killed */
  for (int j = 0; j < m; j++) {
    for (size_t k = 0; k < r.cells; k++) {
      uint32_t h = dashi_philox(7, (uint32_t)j, (uint32_t)k, 0, 1, 2).v[0];
      r.life[k] = h % 5 == 0 ? 65535 - h % 2 : (uint16_t)(h >> 8);
      r.cool[k] = (uint8_t)(h >> 4 & 3u);
      r.killed[k] = h % 13 == 0;
      if (r.killed[k]) r.life[k] = 0, r.cool[k] = 0;
    }
    TU_OK(dashi_vk_decoder_set_fining(d, j, r.life, r.cool, r.killed));
    memcpy(r.fin[j]->life, r.life, 2 * r.cells);
    memcpy(r.fin[j]->cool, r.cool, r.cells);
    memcpy(r.fin[j]->killed, r.killed, r.cells);
    r.fin[j]->killed_total = 0;
    for (size_t k = 0; k < r.cells; k++) r.fin[j]->killed_total += r.killed[k];
  }
  bool sat = false;
  int sbad = 0;
  for (int t = 0; t < 2; t++) {
    sbad += run_step(&r, d, &p, "set fining state");
    for (size_t k = 0; k < r.cells; k++) sat |= r.fin[0]->life[k] == 65535;
  }
  tu_check(!sbad && sat && r.st_c[0].fin.p95_life > 255,
           "(a) from a set state (lives up to 65535, killed cells): saturation, p95 %d (> 255), "
           "mean life %.6g == CPU",
           r.st_c[0].fin.p95_life, r.st_c[0].fin.mean_life);
  /* a non-finite low-pass value is an error naming the member */
  r.wlp[2 * r.cells + 17] = NAN;
  int rc = dashi_vk_decode_carrier(d, r.wlp, r.et, r.om_g, r.st_g, r.h_g, r.s_g);
  tu_check(rc == DASHI_ERR_NUMERICS && strstr(dashi_err_msg(), "member 2"),
           "a NaN in member 2's low-pass field: DASHI_ERR_NUMERICS (%s)", dashi_err_msg());
  dashi_vk_decoder_destroy(d);
  run_free(&r);

  /* the plateau above 1 and the sweep limit, members stopping at different sweeps */
  const struct { int plateau, iters; } pv[2] = {{6, 8}, {0, 2}};
  for (int v = 0; v < 2; v++) {
    p.plateau = pv[v].plateau, p.iters = pv[v].iters, p.tau = 0.05;
    TU_OK(dashi_vk_decoder_create(MPI_COMM_WORLD, l, &p, 3, -1, &d));
    run_init(&r, 3, &p);
    int vb = 0;
    unsigned seen = 0;
    for (int t = 0; t < 3; t++) {
      for (int j = 0; j < 3; j++)
        for (size_t k = 0; k < r.cells; k++)
          r.wlp[j * r.cells + k] = gauss(200 + t, (uint64_t)j, (uint32_t)k);
      vb += run_step(&r, d, &p, "plateau variant");
      for (int j = 0; j < 3; j++) seen |= 1u << r.st_c[j].annih_iters;
    }
    tu_check(!vb,
             "(a) plateau %d, annihilate_iters %d: history, sweep counts (mask 0x%x) and carrier "
             "== CPU",
             p.plateau, p.iters, seen);
    dashi_vk_decoder_destroy(d);
    run_free(&r);
  }
}

/* random proxy states with a decaying spectrum; member 2's target energy is negative */
static void random_z(const dashi_proxy_layout *l, int m, uint64_t seed, double *z) {
  const int D = l->D, kept = dashi_z_kept(l), hdr = dashi_z_hdr(l);
  for (int j = 0; j < m; j++) {
    double *zj = z + (size_t)j * D;
    for (int i = 0; i < l->nL; i++) {
      double k = hypot(l->L[i].kx, l->L[i].ky);
      zj[i] = gauss(seed, (uint64_t)j, (uint32_t)i) / k;
      zj[l->nL + i] = gauss(seed, (uint64_t)j, (uint32_t)(l->nL + i)) / k;
    }
    for (int i = 0; i < l->K; i++) {
      double k = hypot(l->anchors[i].kx, l->anchors[i].ky);
      zj[kept + i] = 0.3 * gauss(seed, (uint64_t)j, (uint32_t)(kept + i)) / k;
      zj[kept + l->K + i] = 0.3 * gauss(seed, (uint64_t)j, (uint32_t)(kept + l->K + i)) / k;
    }
    zj[hdr + DASHI_HDR_SUPPORT] = 0.3;
    zj[hdr + DASHI_HDR_EMID] = j == 2 ? -0.05 : 0.01 * (j + 1);
    zj[hdr + DASHI_HDR_EHIGH] = 0.004;
    zj[hdr + DASHI_HDR_K] = l->K;
  }
}

/* (b), (c): the decode parameters at decode_N n, the GPU decoder of m members and the CPU decoder
 * at them, and the run of both */
static dashi_decode_params decoders_create(const dashi_proxy_layout *l, int n, int m,
                                           dashi_vk_decoder **d, dashi_decoder **cd, run *r) {
  dashi_decode_params p = {.n = n, .tau = 0.1, .plateau = 1, .iters = 32, .residual = true};
  TU_OK(dashi_vk_decoder_create(MPI_COMM_WORLD, l, &p, m, -1, d));
  TU_OK(dashi_decoder_create(l, &p, cd));
  run_init(r, m, &p);
  return p;
}

/* member j's CPU low-pass field of zj into r->wlp and its target energy E_mid + E_high */
static void member_lowpass(run *r, dashi_decoder *cd, int hdr, int j, const double *zj) {
  TU_OK(dashi_decode_lowpass(cd, zj, r->wlp + j * r->cells));
  r->et[j] = zj[hdr + DASHI_HDR_EMID] + zj[hdr + DASHI_HDR_EHIGH];
}

/* (b) the CPU's low-pass field fed to the GPU carrier at decode_N n */
static void test_random(const dashi_proxy_layout *l, int n, int m) {
  dashi_vk_decoder *d;
  dashi_decoder *cd;
  run r;
  const dashi_decode_params p = decoders_create(l, n, m, &d, &cd, &r);
  const int D = l->D, hdr = dashi_z_hdr(l);
  double *z = malloc(sizeof(double) * (size_t)m * D);
  double *om2 = malloc(sizeof(double) * r.cells * m);
  dashi_decode_stats *st2 = calloc((size_t)m, sizeof *st2);
  dashi_fining **f2 = calloc((size_t)m, sizeof *f2);
  for (int j = 0; j < m; j++) TU_OK(dashi_fining_create(n, &f2[j]));
  int *h2 = malloc(sizeof(int) * (size_t)p.iters);
  int bad = 0, self = 0;
  unsigned seen = 0;
  for (int t = 0; t < 3; t++) {
    random_z(l, m, 500 + (uint64_t)t, z);
    for (int j = 0; j < m; j++) {
      const double *zj = z + (size_t)j * D;
      member_lowpass(&r, cd, hdr, j, zj);
      TU_OK(dashi_decode(cd, zj, f2[j], om2 + j * r.cells, &st2[j], h2));
    }
    run_cpu(&r, &p);
    /* the test's reference is dashi_decode itself (omega and statistics) */
    for (int j = 0; j < m; j++)
      self += memcmp(om2 + j * r.cells, r.om_c + j * r.cells, sizeof(double) * r.cells) != 0 ||
              !stats_equal(&st2[j], &r.st_c[j]);
    TU_OK(dashi_vk_decode_carrier(d, r.wlp, r.et, r.om_g, r.st_g, r.h_g, r.s_g));
    bad += run_compare(&r, d, "random (CPU low-pass)");
    for (int j = 0; j < m; j++) seen |= 1u << r.st_g[j].annih_iters;
  }
  tu_check(self == 0, "(b) n=%d: the test's CPU reference == dashi_decode (omega and stats)", n);
  tu_check(!bad,
           "(b) n=%d, %d members, 3 decodes, CPU low-pass field fed to the GPU: carrier (support "
           "and sign), history, stats, fining state, omega_dec identical (sweep counts 0x%x)",
           n, m, seen);
  dashi_vk_decoder_destroy(d);
  run_free(&r);
  for (int j = 0; j < m; j++) dashi_fining_destroy(f2[j]);
  free(f2), free(h2), free(z), free(om2), free(st2);
  dashi_decoder_destroy(cd);
}

/* (c) the full GPU decode of z against dashi_decode */
static void test_full(const dashi_proxy_layout *l, int n, int m) {
  dashi_vk_decoder *d;
  dashi_decoder *cd;
  run r;
  const dashi_decode_params p = decoders_create(l, n, m, &d, &cd, &r);
  const int D = l->D, hdr = dashi_z_hdr(l);
  double *z = malloc(sizeof(double) * (size_t)m * D);
  double maxrel = 0;
  int bad = 0, border = 0, submits = 0, strict = 1;
  for (int t = 0; t < 4; t++) {
    random_z(l, m, 900 + (uint64_t)t, z);
    int64_t s0 = dashi_vk_decoder_submits(d);
    TU_OK(dashi_vk_decode(d, z, r.om_g, r.st_g, r.h_g, r.s_g));
    submits += dashi_vk_decoder_submits(d) - s0 != 1;
    for (int j = 0; j < m; j++) member_lowpass(&r, cd, hdr, j, z + (size_t)j * D);
    run_cpu(&r, &p);
    for (int j = 0; j < m; j++) {
      /* NaN-keeping maxima (fmax drops NaN): a NaN anywhere fails the check */
      double dmax = tu_maxdiff(MPI_COMM_SELF, r.om_g + j * r.cells, r.om_c + j * r.cells, r.cells),
             wmax = 0;
      for (size_t k = 0; k < r.cells; k++) {
        double w = fabs(r.om_c[j * r.cells + k]);
        wmax = tu_nanmax(wmax, w);
      }
      double rel = dmax / wmax;
      maxrel = tu_nanmax(maxrel, rel);
      /* threshold carriers: identical, or different only where |w| is within round-off of thr */
      TU_OK(dashi_vk_decoder_threshold(d, j, r.t_g));
      const double thr = p.tau * r.st_c[j].max_lp;
      for (size_t k = 0; k < r.cells; k++)
        if (r.t_g[k] != r.t_c[j * r.cells + k]) {
          border++;
          if (fabs(fabs(r.wlp[j * r.cells + k]) - thr) > 1e-12 * r.st_c[j].max_lp) strict = 0;
        }
    }
    if (border) break; /* the fining states differ from here on */
    for (int j = 0; j < m; j++)
      bad += memcmp(r.s_g + j * r.cells, r.s_c + j * r.cells, r.cells) != 0 ||
             memcmp(r.h_g + (size_t)j * p.iters, r.h_c + (size_t)j * p.iters,
                    sizeof(int) * (size_t)p.iters) != 0 ||
             r.st_g[j].support != r.st_c[j].support ||
             r.st_g[j].after_annihilation != r.st_c[j].after_annihilation ||
             r.st_g[j].fin.alive != r.st_c[j].fin.alive ||
             r.st_g[j].fin.p95_life != r.st_c[j].fin.p95_life ||
             r.st_g[j].fin.mean_life != r.st_c[j].fin.mean_life;
  }
  tu_check(maxrel < 1e-12,
           "(c) n=%d, %d members, 4 decodes of z (VkFFT vs FFTW): omega within "
           "%.2e relative (< 1e-12)",
           n, m, maxrel);
  tu_check(strict && bad == 0,
           "(c) n=%d: carrier, history and carrier stats identical to dashi_decode (%d cells "
           "differ in the threshold, all within round-off of tau*max)",
           n, border);
  tu_check(submits == 0, "(c) one queue submit per decode of all %d members", m);
  dashi_vk_decoder_destroy(d);
  dashi_decoder_destroy(cd);
  run_free(&r);
  free(z);
}

/* dashi_ens_run_score with the GPU decode (-proxy_backend vulkan) against the CPU path: the same
 * carrier statistics and histories, scores within round-off, over score times with persistent
 * fining (rollouts by A = 0.999 I: the rollout back end's round-off stays far below the carrier
 * threshold's resolution here) */
static void test_ensemble(const dashi_proxy_layout *l) {
  const int n = 48, M = 4, D = l->D;
  double *A = calloc((size_t)D * D, sizeof(double)), *z0 = malloc(sizeof(double) * D);
  for (int i = 0; i < D; i++) A[(size_t)i * D + i] = 0.999;
  random_z(l, 1, 77, z0);
  dashi_grid g;
  TU_OK(dashi_grid_create(MPI_COMM_SELF, n, &g));
  pt_mode tm[40];
  for (int i = 0; i < 40; i++)
    tm[i] = (pt_mode){l->L[i].kx, l->L[i].ky, 1.1 * z0[i], 0.9 * z0[l->nL + i]};
  double *truth = malloc(sizeof(double) * (size_t)n * n);
  pt_canon(&g, 40, tm, truth);
  const dashi_ens_records *rec[2];
  dashi_ens_run *er[2];
  for (int b = 0; b < 2; b++) {
    dashi_ens_params ep = {.members = M,
                           .noise = 0.05,
                           .noise_mode = DASHI_NOISE_ISO,
                           .seed = 5,
                           .dp = {.n = n, .tau = 0.1, .plateau = 1, .iters = 16, .residual = true},
                           .save_decoded = 2,
                           .gpu = b == 1,
                           .vk_device = -1};
    TU_OK(dashi_ens_run_create(MPI_COMM_WORLD, l, A, &ep, &er[b]));
    TU_OK(dashi_ens_run_start(er[b], z0, 0, 0.0));
    for (int t = 0; t < 3; t++) {
      if (t) TU_OK(dashi_ens_run_advance(er[b]));
      TU_OK(dashi_ens_run_score(er[b], t, 0.1 * t, truth, z0));
    }
    TU_OK(dashi_ens_run_gather(er[b], &rec[b]));
  }
  /* the records are complete on rank 0 */
  const dashi_ens_records *c = rec[0], *q = rec[1];
  double res[3] = {1, 0, 0}; /* identical carrier records, score and field differences */
  if (tu_rank(MPI_COMM_WORLD) == 0) {
    for (size_t i = 0; i < (size_t)M * c->ns * DASHI_NCSTATS; i++)
      if (c->cstats[i] != q->cstats[i]) res[0] = 0;
    for (size_t i = 0; i < (size_t)M * c->ns * c->iters; i++)
      if (c->history[i] != q->history[i]) res[0] = 0;
    for (size_t i = 0; i < (size_t)M * c->ns * DASHI_NSCORES; i++)
      if (i % DASHI_NSCORES != DASHI_SC_ZERR) {
        double d = fabs(c->scores[i] - q->scores[i]) / fmax(1e-300, fabs(c->scores[i]));
        res[1] = tu_nanmax(res[1], d);
      }
    res[2] = tu_maxdiff(MPI_COMM_SELF, c->decoded, q->decoded, (size_t)c->ns * c->nsave * n * n);
  }
  MPI_Bcast(res, 3, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  const bool same = res[0] == 1;
  const double sdiff = res[1], ddiff = res[2];
  tu_check(same && sdiff < 1e-9 && ddiff < 1e-11,
           "ensemble (%d members, 3 score times, persistent fining): GPU decode records == CPU "
           "(carrier stats and histories identical, scores within %.1e, saved fields within %.1e)",
           M, sdiff, ddiff);
  for (int b = 0; b < 2; b++) dashi_ens_run_destroy(er[b]);
  free(A), free(z0), free(truth);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  /* the proxy layout of the tests (N = 64 truth, k_cut 8, mid_cut 12): topk 128 >= |M|, so all
   * 122 mid modes are anchors */
  dashi_proxy_layout l;
  pt_layout_first_anchors(64, &l);
  if (argc < 2 || strcmp(argv[1], "ensemble")) { /* "ensemble": that part only (2 ranks) */
    test_hand_made(&l);
    test_random(&l, 64, 5);
    test_random(&l, 48, 3);
    test_full(&l, 64, 5);
    test_full(&l, 48, 3);
  }
  test_ensemble(&l);
  dashi_proxy_layout_free(&l);
  return tu_finish("test_vk_decode");
}

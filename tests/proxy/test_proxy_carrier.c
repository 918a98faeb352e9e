/* Carrier and decode (SPEC §6) on hand-made grids: threshold, majority ties, annihilation with its
 * coherence history and plateau stop, the fining life/cool/kill rules step by step, and the decode
 * of known modes with the energy-matched carrier residual. */
#include "ptest.h"

static void grid_from(int n, const char *rows, int8_t *s) {
  for (int k = 0; k < n * n; k++) s[k] = rows[k] == '+' ? 1 : rows[k] == '-' ? -1 : 0;
}

static bool grid_is(int n, const int8_t *s, const char *rows) {
  for (int k = 0; k < n * n; k++)
    if (s[k] != (rows[k] == '+' ? 1 : rows[k] == '-' ? -1 : 0)) return false;
  return true;
}

static void test_threshold(void) {
  double w[9] = {10, -1, 1.0000001, -5, 0, 0.5, -1.0000001, 2, -10};
  int8_t s[9];
  double mx;
  int c = dashi_carrier_threshold(3, w, 0.1, s, &mx);
  int8_t want[9] = {1, 0, 1, -1, 0, 0, -1, 1, -1};
  tu_check(c == 6 && mx == 10 && !memcmp(s, want, 9),
           "threshold tau 0.1, max 10: |w| > 1 strictly, sign kept (%d supported)", c);
  double z[4] = {0, 0, 0, 0};
  c = dashi_carrier_threshold(2, z, 0.1, s, &mx);
  tu_check(c == 0 && mx == 0, "threshold of a zero field: no support");
}

static void test_majority(void) {
  int8_t in[25], out[25];
  /* centre + with one - above: tie (sum 0) projects both to 0 */
  grid_from(5,
            "....."
            "..-.."
            "..+.."
            "....."
            ".....",
            in);
  int c = dashi_carrier_majority(5, in, out);
  tu_check(c == 0 && grid_is(5, out, "........................."),
           "majority: 1+/1- tie -> both off");
  /* + + and one -: the - sees two + in its 3x3 and flips */
  grid_from(5,
            "....."
            "..-.."
            "..++."
            "....."
            ".....",
            in);
  c = dashi_carrier_majority(5, in, out);
  tu_check(c == 3 && grid_is(5, out,
                             "....."
                             "..+.."
                             "..++."
                             "....."
                             "....."),
           "majority: a - among two + takes the majority sign; unsupported cells stay off");
  /* periodic neighbourhood: corner cells see the opposite corner */
  grid_from(4,
            "+..+"
            "...."
            "...."
            "-..+",
            in);
  c = dashi_carrier_majority(4, in, out);
  tu_check(grid_is(4, out,
                   "+..+"
                   "...."
                   "...."
                   "+..+"),
           "majority: periodic wrap-around (the - corner sees three + corners)");
}

static void test_annihilation(void) {
  int8_t s[64], tmp[64];
  int hist[8], it;
  /* checkerboard: every cell has 4 opposite neighbours -> all off in the first sweep */
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) s[i * 8 + j] = (i + j) % 2 ? 1 : -1;
  int c = dashi_carrier_annihilate(8, s, tmp, 1, 8, hist, &it);
  tu_check(c == 0 && it == 2 && hist[0] == 64 && hist[1] == 0,
           "annihilation of a checkerboard: history [%d, %d], stops at plateau after %d iterations",
           hist[0], hist[1], it);
  /* plateau 0 never stops early: runs annihilate_iters */
  for (int i = 0; i < 64; i++) s[i] = (i / 8 + i % 8) % 2 ? 1 : -1;
  c = dashi_carrier_annihilate(8, s, tmp, 0, 5, hist, &it);
  tu_check(it == 5 && hist[4] == 0, "plateau 0: all %d iterations run", it);
  /* a large plateau stops after the first sweep */
  for (int i = 0; i < 64; i++) s[i] = (i / 8 + i % 8) % 2 ? 1 : -1;
  c = dashi_carrier_annihilate(8, s, tmp, 100, 8, hist, &it);
  tu_check(it == 1 && hist[0] == 64, "plateau 100: one sweep (64 changes < 100)");
  /* an isolated + inside - : switched off; the - block is coherent and stays */
  int8_t b[25];
  grid_from(5,
            "....."
            ".---."
            ".-+-."
            ".---."
            ".....",
            b);
  int8_t t5[25];
  c = dashi_carrier_annihilate(5, b, t5, 1, 8, hist, &it);
  tu_check(c == 8 && hist[0] == 1 && hist[1] == 0 && it == 2 &&
               grid_is(5, b,
                       "....."
                       ".---."
                       ".-.-."
                       ".---."
                       "....."),
           "isolated + in a - ring: switched off (history [1, 0]); the ring stays (%d cells)", c);
  /* a cascade: a + line eaten from the ends towards the - side */
  grid_from(5,
            "....."
            "--+.."
            "--+.."
            "--+.."
            ".....",
            b);
  c = dashi_carrier_annihilate(5, b, t5, 1, 8, hist, &it);
  tu_check(hist[0] == 0 && it == 1 && c == 9,
           "same-sign neighbours outnumber: nothing changes (%d)", c);
  /* a cell with equal opposite and same counts stays */
  grid_from(5,
            "....."
            "..+.."
            ".-+.."
            "....."
            ".....",
            b);
  c = dashi_carrier_annihilate(5, b, t5, 1, 8, hist, &it);
  tu_check(c == 2 && hist[0] == 1,
           "1 same vs 1 opposite: kept; the - with 1 opposite, 0 same: off");
}

static void test_fining(void) {
  dashi_fining *f;
  TU_OK(dashi_fining_create(2, &f));
  dashi_fining_stats st;
  int8_t s[4];
  /* cell 0 alive twice, then dead; cell 1 never alive; cells 2, 3 always alive */
  const int8_t seq[10] = {1, 1, 0, 0, 0, 0, 0, 1, 1, 0};
  int life[10], cool[10], killed[10];
  for (int t = 0; t < 10; t++) {
    s[0] = seq[t], s[1] = 0, s[2] = 1, s[3] = -1;
    dashi_fining_update(f, s, &st);
    life[t] = f->life[0], cool[t] = f->cool[0], killed[t] = f->killed[0];
    if (t == 7) tu_check(s[0] == 0, "a killed cell is forced off even when its carrier says alive");
  }
  /* life: 1 2 | cool 2 1 0 | life 1 0 -> killed at t=6 */
  const int want_life[10] = {1, 2, 2, 2, 2, 1, 0, 0, 0, 0},
            want_cool[10] = {3, 3, 2, 1, 0, 0, 0, 0, 0, 0};
  bool ok = true;
  for (int t = 0; t < 10; t++)
    ok &= life[t] == want_life[t] && cool[t] == want_cool[t] && killed[t] == (t >= 6);
  tu_check(ok,
           "fining step by step: life 1,2 | cool 3->2->1->0 | life 2->1->0 -> killed at decode 7");
  tu_check(f->killed[1] == 0 && f->life[1] == 0, "a cell that never lived is never killed");
  tu_check(st.alive == 2 && st.mean_life == 10 && st.p95_life == 10 && st.killed_total == 1,
           "stats: alive %d, mean life %.1f, p95 %d, killed total %lld", st.alive, st.mean_life,
           st.p95_life, st.killed_total);
  f->life[2] = 65534;
  s[0] = s[1] = 0, s[2] = s[3] = 1;
  dashi_fining_update(f, s, &st);
  dashi_fining_update(f, s, &st);
  tu_check(f->life[2] == 65535, "life saturates at 65535");
  dashi_fining_destroy(f);
}

static void test_decode(void) {
  dashi_proxy_config c = pt_config(64);
  c.topk = 2;
  dashi_proxy_layout l;
  TU_OK(dashi_proxy_layout_init(&c, &l));
  dashi_mode anc[2] = {{9, 0}, {0, 10}};
  TU_OK(dashi_proxy_layout_set_anchors(&l, 2, anc));
  int n = 32;
  dashi_decode_params p = {.n = n, .tau = 0.1, .plateau = 1, .iters = 16, .residual = true};
  dashi_decoder *d;
  TU_OK(dashi_decoder_create(&l, &p, &d));
  double *z = calloc((size_t)l.D, sizeof(double)), *w = malloc(sizeof(double) * n * n);
  double *w0 = malloc(sizeof(double) * n * n);
  int iL = 0;
  while (l.L[iL].kx != 3 || l.L[iL].ky != 0) iL++;
  z[iL] = 0.5, z[l.nL + iL] = -0.25; /* (3, 0) */
  int kept = dashi_z_kept(&l), hdr = dashi_z_hdr(&l);
  int a9 = l.anchors[0].kx == 9 ? 0 : 1; /* index of (9, 0) among the anchors (sorted by ky, kx) */
  z[kept + a9] = 0.1;
  z[hdr + DASHI_HDR_EMID] = 0.015, z[hdr + DASHI_HDR_EHIGH] = 0.005, z[hdr + DASHI_HDR_K] = 2;
  TU_OK(dashi_decode_lowpass(d, z, w0));
  double err = 0, L2 = 2 * M_PI;
  double a9re = z[kept + a9];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double x = i * L2 / n;
      double want = 2 * (0.5 * cos(3 * x) + 0.25 * sin(3 * x)) + 2 * a9re * cos(9 * x);
      err = fmax(err, fabs(w0[i * n + j] - want));
    }
  tu_check(err < 1e-13,
           "low-pass decode of lowk (3,0) and anchor (9,0) with Hermitian symmetry (err %.2e)",
           err);
  dashi_fining *f;
  TU_OK(dashi_fining_create(n, &f));
  dashi_decode_stats st;
  int hist[16];
  TU_OK(dashi_decode(d, z, f, w, &st, hist));
  double e = 0;
  int nz = 0;
  for (int k = 0; k < n * n; k++) e += (w[k] - w0[k]) * (w[k] - w0[k]), nz += w[k] != w0[k];
  e = 0.5 * e / (n * n);
  tu_check(fabs(e - 0.02) < 1e-14 && nz == st.fin.alive && st.gain > 0,
           "carrier residual: 1/2<(g s)^2> = %.15f = E_mid + E_high (0.02), g = %.4f on %d cells",
           e, st.gain, nz);
  z[hdr + DASHI_HDR_EMID] = -0.03;
  TU_OK(dashi_decode(d, z, f, w, &st, hist));
  tu_check(st.residual_skipped && st.gain == 0 && !memcmp(w, w0, sizeof(double) * n * n),
           "negative target energy (rollout): no residual, reported as skipped");
  dashi_decoder_destroy(d);
  p.residual = false;
  TU_OK(dashi_decoder_create(&l, &p, &d));
  z[hdr + DASHI_HDR_EMID] = 0.015;
  TU_OK(dashi_decode(d, z, NULL, w, &st, hist));
  tu_check(!memcmp(w, w0, sizeof(double) * n * n), "-decode_residual none: omega_dec = omega_lp");
  z[iL] = NAN; /* a non-finite low-pass field is an error, not an empty carrier */
  int bad = dashi_decode(d, z, NULL, w, &st, hist);
  tu_check(bad == DASHI_ERR_NUMERICS && strstr(dashi_err_msg(), "non-finite"),
           "NaN in the low-pass field: DASHI_ERR_NUMERICS (%s)", dashi_err_msg());
  z[iL] = 0.5;
  dashi_decoder_destroy(d);
  p.n = 24;
  int rc = dashi_decoder_create(&l, &p, &d);
  tu_check(rc == DASHI_ERR_USAGE, "decode_N 24 <= 2 mid_cut refused: %s", dashi_err_msg());
  dashi_fining_destroy(f);
  dashi_proxy_layout_free(&l);
  free(z), free(w), free(w0);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  test_threshold();
  test_majority();
  test_annihilation();
  test_fining();
  test_decode();
  return tu_finish("test_proxy_carrier");
}

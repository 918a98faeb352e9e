/* Encoder (SPEC §3): mode sets and D, exact coefficients of a field built from known Fourier
 * modes, anchors (top-K, tie order, frozen across frames), band energies, support fraction,
 * rank-count invariance and the truncation to the decode resolution. */
#include "ptest.h"

static const pt_mode low_modes[] = {{1, 0, 0.3, -0.2},
                                    {0, 1, 0.1, 0.25},
                                    {3, 4, -0.05, 0.07},
                                    {-5, 2, 0.02, 0.0},
                                    {8, 0, 0.01, 0.03}};
static const pt_mode mid_modes[] = {{9, 2, 0.2, 0.1},    {-7, 6, 0.05, -0.04}, {0, 11, 0.12, 0.0},
                                    {10, 5, 0.08, 0.08}, {12, 0, 0.03, 0.01},  {-2, 9, 0.01, 0.0}};
static const pt_mode high_modes[] = {
    {13, 0, 0.02, 0.01}, {4, 13, 0.015, -0.01}, {14, 5, 0.01, 0.005}};

static void resid_of(int N, int w, const pt_mode *m, double r[2]) {
  double hx[2], hy[2];
  dashi_box_transfer(N, w, m->kx, hx);
  dashi_box_transfer(N, w, m->ky, hy);
  double hr = hx[0] * hy[0] - hx[1] * hy[1], hi = hx[0] * hy[1] + hx[1] * hy[0];
  double fr = 1 - hr, fi = -hi;
  r[0] = m->re * fr - m->im * fi;
  r[1] = m->re * fi + m->im * fr;
}

static int find_mode(const dashi_mode *set, int n, int kx, int ky) {
  for (int i = 0; i < n; i++)
    if (set[i].kx == kx && set[i].ky == ky) return i;
  return -1;
}

/* support fraction by brute force over the gathered field */
static double support_of(const dashi_grid *g, const double *slab, double tau) {
  int N = g->N;
  double *all = malloc(sizeof(double) * (size_t)N * N);
  MPI_Allgather(slab, g->nx * N, MPI_DOUBLE, all, g->nx * N, MPI_DOUBLE, g->comm);
  double mx = 0;
  for (int k = 0; k < N * N; k++) mx = fmax(mx, fabs(all[k]));
  int c = 0;
  for (int k = 0; k < N * N; k++) c += fabs(all[k]) > tau * mx;
  free(all);
  return (double)c / (N * N);
}

static void test_layout(void) {
  dashi_proxy_config c = pt_config(64);
  dashi_proxy_layout l;
  TU_OK(dashi_proxy_layout_init(&c, &l));
  int nL = 0, nM = 0;
  for (int ky = 0; ky <= 12; ky++)
    for (int kx = -12; kx <= 12; kx++) {
      if (!(ky > 0 || kx > 0)) continue;
      int k2 = kx * kx + ky * ky;
      nL += k2 <= 64;
      nM += k2 > 64 && k2 <= 144;
    }
  tu_check(l.nL == nL && l.nM == nM, "default sets: |L| = %d (expect %d), |M| = %d (expect %d)",
           l.nL, nL, l.nM, nM);
  tu_check(l.K == (128 < nM ? 128 : nM) && l.D == 2 * l.nL + 4 + 2 * l.K,
           "defaults: K = min(topk 128, |M|) = %d, D = 2|L| + 4 + 2K = %d", l.K, l.D);
  dashi_proxy_layout_free(&l);
  c.topk = 20;
  TU_OK(dashi_proxy_layout_init(&c, &l));
  tu_check(l.K == 20 && l.D == 2 * nL + 4 + 40, "topk 20: K = %d, D = %d", l.K, l.D);
  dashi_proxy_layout_free(&l);
  c.mid_cut = 32;
  int rc = dashi_proxy_layout_init(&c, &l);
  tu_check(rc == DASHI_ERR_USAGE, "mid_cut at the Nyquist wavenumber is refused: %s",
           dashi_err_msg());
  dashi_proxy_layout_free(&l);
}

static void encode_field(dashi_encoder *e, const dashi_grid *g, pt_fft *f, const pt_mode *m, int n,
                         double *canon, double *slab, double *z) {
  pt_canon(g, n, m, canon);
  pt_to_real(f, canon, slab);
  TU_OK(dashi_encode(e, canon, slab, z));
}

static void test_field(MPI_Comm comm, int N) {
  dashi_grid g;
  TU_OK(dashi_grid_create(comm, N, &g));
  pt_fft f;
  pt_fft_create(&g, &f);
  dashi_proxy_config c = pt_config(N);
  c.topk = 3;
  dashi_proxy_layout l;
  TU_OK(dashi_proxy_layout_init(&c, &l));
  dashi_encoder *e;
  TU_OK(dashi_encoder_create(&l, &g, &e));
  int nl = 5, nm = 6, nh = 3, n = nl + nm + nh;
  pt_mode all[16];
  memcpy(all, low_modes, sizeof low_modes);
  memcpy(all + nl, mid_modes, sizeof mid_modes);
  memcpy(all + nl + nm, high_modes, sizeof high_modes);
  double *canon = malloc(sizeof(double) * 2 * (size_t)g.nky * N + 1);
  double *slab = malloc(sizeof(double) * (size_t)g.nx * N);
  double *z = malloc(sizeof(double) * (size_t)l.D);
  encode_field(e, &g, &f, all, n, canon, slab, z);
  /* lowk: exactly the coefficients */
  double err = 0;
  for (int i = 0; i < l.nL; i++) {
    double re = 0, im = 0;
    for (int q = 0; q < nl; q++)
      if (low_modes[q].kx == l.L[i].kx && low_modes[q].ky == l.L[i].ky)
        re = low_modes[q].re, im = low_modes[q].im;
    double dre = fabs(z[i] - re), dim = fabs(z[l.nL + i] - im);
    err = tu_nanmax(err, dre);
    err = tu_nanmax(err, dim);
  }
  tu_check(err == 0.0, "N=%d: lowk equals the known coefficients exactly (max error %.3g)", N, err);
  /* anchors: top-3 |R|^2 of the mid modes */
  double r2[6];
  for (int q = 0; q < nm; q++) {
    double r[2];
    resid_of(N, 3, &mid_modes[q], r);
    r2[q] = r[0] * r[0] + r[1] * r[1];
  }
  bool top[6] = {false};
  for (int k = 0; k < 3; k++) {
    int best = -1;
    for (int q = 0; q < nm; q++)
      if (!top[q] && (best < 0 || r2[q] > r2[best])) best = q;
    top[best] = true;
  }
  bool anchors_ok = l.frozen && l.K == 3;
  double kerr = 0, emid = 0, ehigh = 0;
  int kept = dashi_z_kept(&l), hdr = dashi_z_hdr(&l);
  for (int q = 0; q < nm; q++) {
    int i = find_mode(l.anchors, l.K, mid_modes[q].kx, mid_modes[q].ky);
    double r[2];
    resid_of(N, 3, &mid_modes[q], r);
    if (top[q] != (i >= 0)) anchors_ok = false;
    if (i >= 0) {
      double dre = fabs(z[kept + i] - r[0]), dim = fabs(z[kept + l.K + i] - r[1]);
      kerr = tu_nanmax(kerr, dre);
      kerr = tu_nanmax(kerr, dim);
    } else
      emid += r[0] * r[0] + r[1] * r[1];
  }
  for (int q = 0; q < nh; q++) {
    double r[2];
    resid_of(N, 3, &high_modes[q], r);
    ehigh += r[0] * r[0] + r[1] * r[1];
  }
  tu_check(anchors_ok,
           "N=%d: anchors are the 3 largest |R_hat|^2 of the mid band: (%d,%d) (%d,%d) (%d,%d)", N,
           l.anchors[0].kx, l.anchors[0].ky, l.anchors[1].kx, l.anchors[1].ky, l.anchors[2].kx,
           l.anchors[2].ky);
  tu_check(kerr < 1e-15, "N=%d: kept = R_hat = w_hat (1 - H H) on the anchors (max error %.3g)", N,
           kerr);
  double em = z[hdr + DASHI_HDR_EMID], eh = z[hdr + DASHI_HDR_EHIGH];
  tu_check(fabs(em - emid) <= 1e-13 * emid && fabs(eh - ehigh) <= 1e-13 * ehigh,
           "N=%d: E_mid = %.15g (expect %.15g), E_high = %.15g (expect %.15g)", N, em, emid, eh,
           ehigh);
  double sf = support_of(&g, slab, c.tau);
  tu_check(z[hdr + DASHI_HDR_SUPPORT] == sf && sf > 0 && sf < 1,
           "N=%d: support fraction %.6f (brute force %.6f)", N, z[hdr + DASHI_HDR_SUPPORT], sf);
  tu_check(z[hdr + DASHI_HDR_K] == 3, "N=%d: header K = %g", N, z[hdr + DASHI_HDR_K]);

  /* second frame with other amplitudes: anchors stay, kept follows the field */
  dashi_mode before[3];
  memcpy(before, l.anchors, sizeof before);
  pt_mode all2[16];
  memcpy(all2, all, sizeof all);
  for (int q = 0; q < nm; q++)
    all2[nl + q].re *= q % 2 ? 10.0 : 0.1, all2[nl + q].im *= q % 2 ? 10.0 : 0.1;
  encode_field(e, &g, &f, all2, n, canon, slab, z);
  bool same = !memcmp(before, l.anchors, sizeof before);
  double kerr2 = 0;
  for (int i = 0; i < 3; i++) {
    int q = 0;
    while (all2[nl + q].kx != l.anchors[i].kx || all2[nl + q].ky != l.anchors[i].ky) q++;
    double r[2];
    resid_of(N, 3, &all2[nl + q], r);
    double dre = fabs(z[kept + i] - r[0]), dim = fabs(z[kept + 3 + i] - r[1]);
    kerr2 = tu_nanmax(kerr2, dre);
    kerr2 = tu_nanmax(kerr2, dim);
  }
  tu_check(same && kerr2 < 1e-14,
           "N=%d: anchors frozen on the next frame; kept follows it (err %.3g)", N, kerr2);

  /* rank-count invariance: the same field encoded by this rank alone */
  if (g.size > 1) {
    dashi_grid g1;
    TU_OK(dashi_grid_create(MPI_COMM_SELF, N, &g1));
    pt_fft f1;
    pt_fft_create(&g1, &f1);
    dashi_proxy_layout l1;
    TU_OK(dashi_proxy_layout_init(&c, &l1));
    dashi_encoder *e1;
    TU_OK(dashi_encoder_create(&l1, &g1, &e1));
    double *c1 = malloc(sizeof(double) * 2 * (size_t)g1.nky * N),
           *s1 = malloc(sizeof(double) * N * N);
    double *z1 = malloc(sizeof(double) * (size_t)l1.D), *z2 = malloc(sizeof(double) * (size_t)l.D);
    encode_field(e1, &g1, &f1, all, n, c1, s1, z1);
    encode_field(e1, &g1, &f1, all2, n, c1, s1, z1);
    encode_field(e, &g, &f, all2, n, canon, slab, z2);
    double d = 0;
    for (int i = 0; i < l.D; i++) {
      double q = fabs(z1[i] - z2[i]) / fmax(1e-300, fabs(z2[i]));
      d = tu_nanmax(d, q);
    }
    int anc_same = !memcmp(l1.anchors, l.anchors, sizeof(dashi_mode) * 3),
        ok = d < 1e-13 && anc_same, all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    tu_check(all_ok, "N=%d: %d ranks vs 1 rank: same anchors, z equal to %.2g (relative)", N,
             g.size, d);
    dashi_encoder_destroy(e1);
    dashi_proxy_layout_free(&l1);
    pt_fft_destroy(&f1);
    free(c1), free(s1), free(z1), free(z2);
  }

  /* truncation to n = N/2 on rank 0 */
  int nn = N / 2;
  double *tr = malloc(sizeof(double) * (size_t)nn * nn);
  pt_canon(&g, n, all, canon);
  TU_OK(dashi_truncate_gather(&g, canon, nn, tr, 0));
  if (g.rank == 0) {
    double s = (double)nn * nn, te = 0;
    for (int q = 0; q < n; q++) {
      if (abs(all[q].kx) >= nn / 2 || all[q].ky >= nn / 2) continue;
      const double *v = tr + 2 * ((size_t)all[q].ky * nn + (all[q].kx + nn) % nn);
      double dre = fabs(v[0] - all[q].re * s), dim = fabs(v[1] - all[q].im * s);
      te = tu_nanmax(te, dre);
      te = tu_nanmax(te, dim);
    }
    double nyq = 0;
    for (int a = 0; a < nn / 2; a++) {
      double v = fabs(tr[2 * ((size_t)a * nn + nn / 2)]);
      nyq = tu_nanmax(nyq, v);
    }
    tu_check(te < 1e-12 && nyq == 0,
             "N=%d: truncation to %d keeps the modes below %d (err %.2g), Nyquist 0", N, nn, nn / 2,
             te);
  } else {
    tu_check(true, "truncation checked on rank 0");
  }
  free(tr);
  dashi_encoder_destroy(e);
  dashi_proxy_layout_free(&l);
  pt_fft_destroy(&f);
  free(canon), free(slab), free(z);
}

/* a fresh layout l of c whose anchors the first frame freezes: the n modes m, encoded; returns
 * that frame's z (the caller frees it and l) */
static double *encode_first(const dashi_proxy_config *c, const dashi_grid *g, pt_fft *f,
                            const pt_mode *m, int n, double *canon, double *slab,
                            dashi_proxy_layout *l) {
  TU_OK(dashi_proxy_layout_init(c, l));
  dashi_encoder *e;
  TU_OK(dashi_encoder_create(l, g, &e));
  double *z = malloc(sizeof(double) * (size_t)l->D);
  encode_field(e, g, f, m, n, canon, slab, z);
  dashi_encoder_destroy(e);
  return z;
}

/* equal |R_hat|^2: the lower flat index ky*N + (kx mod N) wins */
static void test_ties(MPI_Comm comm) {
  int N = 64;
  dashi_grid g;
  TU_OK(dashi_grid_create(comm, N, &g));
  pt_fft f;
  pt_fft_create(&g, &f);
  pt_mode m[] = {{2, 9, 0.1, 0.05}, {-9, 2, 0.1, 0.05}, {9, 2, 0.1, 0.05}, {1, 1, 0.5, 0}};
  double *canon = malloc(sizeof(double) * 2 * (size_t)g.nky * N + 1);
  double *slab = malloc(sizeof(double) * (size_t)g.nx * N);
  for (int topk = 1; topk <= 2; topk++) {
    dashi_proxy_config c = pt_config(N);
    c.topk = topk;
    dashi_proxy_layout l;
    double *z = encode_first(&c, &g, &f, m, 4, canon, slab, &l);
    bool ok = topk == 1 ? l.anchors[0].kx == 9 && l.anchors[0].ky == 2
                        : find_mode(l.anchors, 2, 9, 2) >= 0 && find_mode(l.anchors, 2, -9, 2) >= 0;
    tu_check(ok, "ties, topk %d: anchors by lower flat index ((9,2) < (-9,2) < (2,9)): (%d,%d)%s",
             topk, l.anchors[0].kx, l.anchors[0].ky, topk == 2 ? " + one more" : "");
    dashi_proxy_layout_free(&l);
    free(z);
  }
  /* topk >= |M|: every mid mode is an anchor and E_mid is exactly 0 */
  dashi_proxy_config c = pt_config(N);
  dashi_proxy_layout l;
  double *z = encode_first(&c, &g, &f, mid_modes, 6, canon, slab, &l);
  tu_check(l.K == l.nM && z[dashi_z_hdr(&l) + DASHI_HDR_EMID] == 0.0,
           "topk 128 >= |M| = %d: all mid modes anchored, E_mid = %g", l.nM,
           z[dashi_z_hdr(&l) + DASHI_HDR_EMID]);
  dashi_proxy_layout_free(&l);
  free(z), free(canon), free(slab);
  pt_fft_destroy(&f);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  test_layout();
  test_field(MPI_COMM_WORLD, 32);
  test_field(MPI_COMM_WORLD, 64);
  test_ties(MPI_COMM_WORLD);
  return tu_finish("test_proxy_encode");
}

/* The nonlinear products in one op (backend.h nonlinear_products; docs/vulkan.md "Fused nonlinear
 * products"), DASHI_VK_FFT=fused and auto, wherever the row kernel fits on every rank.
 *
 * The composition the solver otherwise calls op by op - spec_derive, 2D inverse transforms of
 * 4/6/7 fields, nonlinear_pointwise, 2D forward transforms of 1/2/3 fields - writes and reads every
 * real field, and transforms every column along x although, under the 2/3 band hint K, only the
 * columns ky <= K are non-zero (inverse) or read (forward). Here:
 *   1. spec_derive writes the conjugated sources of the derivatives (psi, v, kx^2 psi/2, wx
 *      [, w, -kx^2 w]: the factors of ky are applied in step 3), only in the columns ky < c_in
 *      (c_in = K+1 rounded up to 16 under the hint, else N/2);
 *   2. VkFFT's forward C2C along x of those columns, in place: the conjugate of the inverse
 *      x transform (only forward launches; see vk_fft.c on inverse launches at offsets);
 *   3. rows_pair.comp, one workgroup per physical row: the C2R transforms along y, the products,
 *      and the R2C transforms along y of the products into the columns ky <= K of the outputs,
 *      with no real field in memory (two real fields per length-N complex transform, 8 points per
 *      thread in registers, N/8 threads per row, the row in shared memory only between stages);
 *      where a row does not fit its workgroup (fp32 N >= 16384, fp64 N >= 8192 on 48 KiB), the
 *      row pass through memory instead: rows_a/b/c.comp, a four-step transform along y
 *      (N = P Q) whose chunks of Q points make the products, with scratch rows in memory;
 *   4. VkFFT's forward C2C along x of the columns ky < c_out of the products, in place.
 * On one rank steps 1, 2 and 4 are by default (DASHI_VK_XFFT, xfft_choice) the own x passes of
 * xfft.comp: a four-step transform whose first step of the sources derives them from omega-hat
 * (xfft_sources, xfft_products).
 * On several ranks steps 2 and 4 are the slab path's 1D transforms along x with the transposes of
 * vk_fft.c (vk_fft_rows_in/out) and step 3 runs on each rank's x rows. The result is the
 * composition's to round-off (test_vk_parity). Where the row kernel does not fit a rank's device,
 * every rank runs the composition and fft_library says why. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"

/* log2 of a power of two (the smallest lg with 2^lg >= n) */
static uint32_t log2_up(uint32_t n) {
  uint32_t lg = 0;
  while ((1u << lg) < n) lg++;
  return lg;
}

/* the factors of the own x passes: N = N1 N2, N1 = 2^floor(lg N / 2) (N2 = N1 or 2 N1) */
static uint32_t xfft_n1(uint32_t n) {
  return 1u << (log2_up(n) / 2);
}

/* columns per workgroup of the x steps: 128 bytes of each row (measured on an H200, fp32
 * N = 4096: 2.19 ms/step against 2.27 with 256 bytes and 2.37 with 512; N = 8192: 9.74 against
 * 10.14 and 10.15; fp64 N = 4096: 4.26 against 4.52 and 4.63), or DASHI_VK_XFFT_COLS */
static uint32_t xfft_cols(const vk_ctx *c) {
  return c->xfft_cols ? c->xfft_cols : c->f64 ? 8u : 16u;
}

/* the shared memory a workgroup may use: the device's limit, or DASHI_VK_FFT_SHARED_BYTES (tests)
 */
static uint64_t shared_limit(const vk_ctx *c) {
  uint64_t limit = c->props.limits.maxComputeSharedMemorySize;
  return c->fft_shared && c->fft_shared < limit ? c->fft_shared : limit;
}

/* the shared memory of a column transform over C columns of length L (colfft.glsl in xfft.comp,
 * rows_a.comp, rows_c.comp: sre, sim of C L reals each and L complex twiddles), and of
 * rows_b.comp's CB chunks of length L (sre, sim of CB (L + L/8) reals each and L twiddles) */
static uint64_t colfft_shared(const vk_ctx *c, uint64_t cols, uint64_t len) {
  return (2 * cols * len + 2 * len) * c->rsize;
}
static uint64_t chunks_shared(const vk_ctx *c, uint64_t chunks, uint64_t len) {
  return (2 * chunks * (len + len / 8) + 2 * len) * c->rsize;
}

/* The row pass through memory (rows_a/b/c.comp): N = P Q with P = xfft_n1(N), the length of the
 * strided transforms of steps A and C, and Q = N/P, the chunks of step B. Columns per workgroup of
 * A and C: 8 (one H200, fp32 N = 16384: 48.55 ms/step against 49.35 with the x steps' 16; fp64
 * N = 8192: 26.35 against 28.08 with 4) or DASHI_VK_XFFT_COLS, at most Q, halved (down to 4)
 * until colfft_shared fits the shared memory and C P/8 threads a workgroup; chunks per workgroup
 * of B at a time: 2048/Q (256 threads), at most P, halved until chunks_shared fits */
static uint32_t mem_cols(const vk_ctx *c, uint32_t p, uint32_t q) {
  uint32_t base = c->xfft_cols ? c->xfft_cols : 8u;
  uint32_t k = base < q ? base : q;
  while (k > 4 && (colfft_shared(c, k, p) > shared_limit(c) ||
                   k * p / 8 > c->props.limits.maxComputeWorkGroupInvocations))
    k /= 2;
  return k;
}
static uint32_t mem_chunks(const vk_ctx *c, uint32_t p, uint32_t q) {
  uint32_t k = q < 2048 ? 2048 / q : 1;
  if (k > p) k = p;
  while (k > 1 && chunks_shared(c, k, q) > shared_limit(c)) k /= 2;
  return k;
}

/* rows_pair.comp's layout, in one place: its specialization constants (N, radix-8 stages, radix
 * of the last stage, N/8 threads, twiddle table HI = max(N/64, 1), NIM = N or 1 with split
 * exchanges (the imaginary row in single, the complex one in double), SPLIT, LINSLOT: linear
 * exchange slots with split exchanges and in double, where they measured faster; TWSQ: a stage's
 * twiddles w2, w4 as squares of w1 in double - one H200, fp64 N = 4096: 4.155 against 4.227
 * ms/step, errors still ~1e-15; in single the squares were 1.2-2% faster but the fp32 right-hand
 * side's error rose 10-15% (sgs term at N = 512: 1.38e-6 against 1.20e-6), so the table products
 * stay there) and the shared
 * memory they size: the row (rows_shared), the two twiddle tables (64 + HI complex). own 2..5:
 * xfft.comp's for the steps (vk_pipe_id order) sources 1 (length N2, DERIVE, TWIDDLE), sources 2
 * (N1), products 1 (N1, TWIDDLE), products 2 (N2): length, radix-8 stages, last radix, columns
 * per workgroup, threads, N, DERIVE, TWIDDLE. own 6..8: rows_a/b/c.comp's (the row pass through
 * memory): length (P, Q, P), radix-8 stages, last radix, columns or chunks per workgroup,
 * threads, N */
void vk_rows_spec(const vk_ctx *c, int own, uint32_t sc[VK_SPEC_N]) {
  uint32_t n = c->lay.N, lg = log2_up(n);
  if (own > 1) {
    /* the x steps: N1 = P or N2 = Q with xfft_cols columns; the row pass through memory: A (6)
     * and C (8) length P with mem_cols columns, B (7) length Q with mem_chunks chunks */
    uint32_t p = xfft_n1(n), q = n / p, len = own == 3 || own == 4 || own == 6 || own == 8 ? p : q;
    uint32_t per = own < 6 ? xfft_cols(c) : own == 7 ? mem_chunks(c, p, q) : mem_cols(c, p, q);
    lg = log2_up(len);
    uint32_t xs[VK_SPEC_N] = {len,           lg / 3, 1u << (lg % 3), per,
                              per * len / 8, n,      own == 2,       own == 2 || own == 4};
    memcpy(sc, xs, sizeof xs);
    return;
  }
  uint32_t rs[VK_SPEC_N] = {n,
                            lg / 3,
                            1u << (lg % 3),
                            n / 8,
                            n / 64 ? n / 64 : 1,
                            c->rows_split ? 1 : n,
                            c->rows_split,
                            c->rows_split || c->f64,
                            c->f64};
  memcpy(sc, rs, sizeof rs);
}

static uint64_t rows_shared(const vk_ctx *c) {
  uint32_t sc[VK_SPEC_N];
  vk_rows_spec(c, 1, sc);
  uint64_t n = sc[0], hi = sc[4], nim = sc[5], nre = n + 1 - nim;
  /* single: a real row of N and one of NIM values; double: a complex row of NIM and a real one
   * of NRE = N + 1 - NIM (rows_pair.comp), each + 1/8 padding */
  uint64_t row = c->f64 ? 2 * (nim + nim / 8) + nre + nre / 8 : n + n / 8 + nim + nim / 8;
  return (row + (64 + hi) * 2) * c->rsize;
}

/* the shared memory of the row pass through memory: its largest step (A and C: colfft_shared of
 * C columns of length P; B: chunks_shared of CB chunks of length Q) */
static uint64_t mem_shared(const vk_ctx *c, uint32_t *threads) {
  uint64_t most = 0;
  *threads = 0;
  for (int own = 6; own <= 7; own++) {
    uint32_t sc[VK_SPEC_N];
    vk_rows_spec(c, own, sc);
    uint64_t b = own == 7 ? chunks_shared(c, sc[3], sc[0]) : colfft_shared(c, sc[3], sc[0]);
    if (b > most) most = b;
    if (sc[4] > *threads) *threads = sc[4];
  }
  return most;
}

/* the row pass through memory: bytes of one scratch row (N complex values) */
static uint64_t mem_row_bytes(const vk_ctx *c) {
  return (uint64_t)c->g->N * 2 * c->rsize;
}
/* the x rows of one pass through the scratch (rows_a, b and c over them, then the next block):
 * all nx, or nx/2^j where a scratch buffer of all of them would exceed scratch_max (fp64
 * N = 16384: 4 GiB against an H200's largest allocation, 4 GiB - 2 MiB) */
static uint32_t mem_block_rows(const vk_ctx *c) {
  /* a block's first source row 16-byte aligned (the references' alignment): in single a row of
   * N/2+1 complex values is 8 bytes past it, so blocks of 2 rows at least */
  uint32_t r = (uint32_t)c->g->nx, least = c->f64 ? 1u : 2u;
  while (r % 2 == 0 && r / 2 >= least && r * mem_row_bytes(c) > c->scratch_max) r /= 2;
  return r;
}
/* bytes of one scratch buffer (a block's rows) and the column groups of steps A and C (Q / C, the
 * dispatches' x) */
static uint64_t mem_scratch_bytes(const vk_ctx *c) {
  return mem_block_rows(c) * mem_row_bytes(c);
}
static uint32_t mem_groups(const vk_ctx *c) {
  uint32_t sc[VK_SPEC_N];
  vk_rows_spec(c, 6, sc);
  return (uint32_t)c->g->N / sc[0] / sc[3];
}

/* its scratch rows 0..n-1 that do not exist yet */
static int mem_scratch(vk_ctx *c, int n) {
  for (int i = 0; i < n; i++)
    if (!c->rows_s[i].buf)
      DASHI_CALL(
          vk_buffer_create(c, mem_scratch_bytes(c), false, &c->rows_s[i], "row pass scratch"));
  return 0;
}

/* DASHI_VK_ROWS: auto (default: rows_pair.comp with whole exchanges where the row fits, else with
 * split exchanges, else the row pass through memory: rows_fit), pair (whole), pair_split,
 * memory (tests and measurements) */
static int rows_mode(vk_ctx *c, bool *autom) {
  const char *v = getenv("DASHI_VK_ROWS");
  /* the scratch buffers up to the device's largest allocation (they are reached through their
   * addresses, so no descriptor range applies), or DASHI_VK_SCRATCH_BYTES (tests: row blocks) */
  uint64_t sb;
  DASHI_CALL(vk_env_bytes("DASHI_VK_SCRATCH_BYTES", 1, 1, "a positive byte count", &sb));
  c->scratch_max = sb && sb < c->max_alloc ? sb : c->max_alloc;
  c->rows_split = c->rows_mem = false;
  *autom = !v || !*v || !strcmp(v, "auto");
  if (*autom) return 0;
  if (!strcmp(v, "pair") || !strcmp(v, "pair_split") || !strcmp(v, "memory")) {
    c->rows_split = !strcmp(v, "pair_split");
    c->rows_mem = !strcmp(v, "memory");
    return 0;
  }
  return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_ROWS=%s: expected auto, pair, pair_split or memory",
                   v);
}

const char *vk_rows_name(const vk_ctx *c, char *buf, size_t n) {
  uint32_t rows = c->rows_mem ? mem_block_rows(c) : (uint32_t)c->g->nx;
  snprintf(buf, n, "%s",
           c->rows_mem     ? "row passes through memory"
           : c->rows_split ? "paired radix-8 row kernel, split exchanges"
                           : "paired radix-8 row kernel");
  if (rows < (uint32_t)c->g->nx)
    snprintf(buf + strlen(buf), n - strlen(buf), " in blocks of %u rows", rows);
  return buf;
}

/* workgroups of one field's x step with layout sc (vk_rows_spec): column groups of the columns
 * ky < cols x N/L transforms */
static uint32_t xfft_groups(const uint32_t sc[VK_SPEC_N], uint32_t cols) {
  return (cols + sc[3] - 1) / sc[3] * (sc[5] / sc[0]);
}

/* DASHI_VK_XFFT (one rank): auto (default: the own x passes of xfft.comp where they measured
 * faster on an H200 - single precision from N = 1024, double from N = 4096 - and fit: N >= 64,
 * their shared memory and threads), own (wherever they fit), vkfft (VkFFT's strided C2C after
 * spec_derive, the x passes before session 8). Below those N the step is launch-bound and
 * VkFFT's fewer launches win (fp32 N = 256: 0.0482 against 0.0587 ms/step; fp64 N = 1024: 0.268
 * against 0.278). The fused products on several ranks transform along x in the slab path. */
static int xfft_choice(vk_ctx *c, uint64_t limit) {
  const char *v = getenv("DASHI_VK_XFFT"), *cv = getenv("DASHI_VK_XFFT_COLS");
  if (cv && *cv) {
    char *end;
    long k = strtol(cv, &end, 10);
    if (*end || k < 4 || k > 64 || (k & (k - 1)))
      return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_XFFT_COLS=%s: expected 4, 8, 16, 32 or 64", cv);
    c->xfft_cols = (uint32_t)k;
  }
  /* the largest step: sources 1 (length N2 >= N1: shared memory, threads) and sources 2 (N/N1
   * transforms: workgroups over all N/2 columns) */
  uint32_t n = (uint32_t)c->g->N, s1[VK_SPEC_N], s2[VK_SPEC_N];
  vk_rows_spec(c, 2, s1);
  vk_rows_spec(c, 3, s2);
  uint64_t shared = colfft_shared(c, s1[3], s1[0]), threads = s1[4];
  uint64_t groups = xfft_groups(s2, n / 2);
  bool can = c->g->size == 1 && n >= 64 && shared <= limit &&
             threads <= c->props.limits.maxComputeWorkGroupSize[0] &&
             threads <= c->props.limits.maxComputeWorkGroupInvocations &&
             groups <= c->props.limits.maxComputeWorkGroupCount[0];
  bool autov = !v || !*v || !strcmp(v, "auto"), own = autov || !strcmp(v, "own");
  if (autov && n < (c->f64 ? 4096u : 1024u)) own = false;
  if (!own && !autov && strcmp(v, "vkfft"))
    return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_XFFT=%s: expected auto, own or vkfft", v);
  if (own && !can && v && !strcmp(v, "own"))
    return dashi_err(DASHI_ERR_USAGE,
                     "DASHI_VK_XFFT=own: the own x passes need one rank, N >= 64, %llu bytes of "
                     "shared memory, %llu threads and %llu workgroups per dispatch (here %d "
                     "ranks, N=%u, %llu bytes, %u workgroups); unset it or use "
                     "DASHI_VK_XFFT=vkfft",
                     (unsigned long long)shared, (unsigned long long)threads,
                     (unsigned long long)groups, c->g->size, n, (unsigned long long)limit,
                     c->props.limits.maxComputeWorkGroupCount[0]);
  c->xfft = own && can;
  return 0;
}

/* whether the row pass in the mode of c (rows_split, rows_mem) fits this rank's device; why not in
 * `why` */
static bool mode_fits(const vk_ctx *c, uint64_t limit, char *why, size_t whylen) {
  const dashi_grid *g = c->g;
  const VkPhysicalDeviceLimits *lim = &c->props.limits;
  uint32_t threads = (uint32_t)g->N / 8;
  uint64_t shared = c->rows_mem ? mem_shared(c, &threads) : rows_shared(c);
  const char *what = c->rows_mem ? "a row through memory" : "a row";
  /* rows_pair.comp's stages are radix 8 with one last radix-2 or -4 stage (vk_rows_spec); the
   * passes through memory need P, Q >= 8 */
  if (g->N < (c->rows_mem ? 64 : 16))
    return snprintf(why, whylen, "N=%d < %d", g->N, c->rows_mem ? 64 : 16), false;
  if (g->N & (g->N - 1)) return snprintf(why, whylen, "N=%d is not a power of two", g->N), false;
  if (shared > limit)
    return snprintf(why, whylen, "%s needs %llu bytes of shared memory, %llu are available", what,
                    (unsigned long long)shared, (unsigned long long)limit),
           false;
  if (threads > lim->maxComputeWorkGroupSize[0] || threads > lim->maxComputeWorkGroupInvocations)
    return snprintf(why, whylen, "%s needs %u threads per workgroup, the device allows %u", what,
                    threads, lim->maxComputeWorkGroupInvocations),
           false;
  if (!c->rows_mem) return true;
  uint64_t bytes = mem_scratch_bytes(c);
  uint32_t gy = mem_groups(c), rows = mem_block_rows(c);
  /* steps A and C: Q/C column groups along x and the nx rows along y; step B: the rows along x */
  uint32_t rows_max = lim->maxComputeWorkGroupCount[1] < lim->maxComputeWorkGroupCount[0]
                          ? lim->maxComputeWorkGroupCount[1]
                          : lim->maxComputeWorkGroupCount[0];
  if (gy > lim->maxComputeWorkGroupCount[0] || rows > rows_max)
    return snprintf(why, whylen, "%s needs %u x %u workgroups per dispatch", what, gy, rows), false;
  if (bytes > c->scratch_max)
    return snprintf(why, whylen, "%s needs buffers of %llu bytes, the device allows %llu", what,
                    (unsigned long long)bytes, (unsigned long long)c->scratch_max),
           false;
  return true;
}

/* whether the row pass fits this rank's device (and work areas), choosing its mode where
 * DASHI_VK_ROWS=auto; why not in `why` */
static bool rows_fit(vk_ctx *c, bool autom, uint64_t limit, char *why, size_t whylen) {
  const dashi_grid *g = c->g;
  /* several ranks: the sources go through work_k and work, the products through temp */
  if (g->size != 1 && c->max_batch < VK_ROWS_SLAB_FIELDS)
    return snprintf(why, whylen, "the FFT work area holds %d of the %d fields needed", c->max_batch,
                    VK_ROWS_SLAB_FIELDS),
           false;
  if (!autom) return mode_fits(c, limit, why, whylen);
  /* whole exchanges, split ones, through memory; why: the split exchanges' reason and the last */
  for (int m = 0; m < 3; m++) {
    c->rows_split = m == 1, c->rows_mem = m == 2;
    char w[192];
    if (mode_fits(c, limit, m == 1 ? why : w, m == 1 ? whylen : sizeof w)) return true;
    if (m == 2) snprintf(why + strlen(why), whylen - strlen(why), "; %s", w);
  }
  return false;
}

static int rows_setup(vk_ctx *c);

int vk_rows_init(vk_ctx *c, bool want, bool *ok, char *why, size_t whylen) {
  const dashi_grid *g = c->g;
  /* the device's limit, or DASHI_VK_FFT_SHARED_BYTES (tests) */
  uint64_t limit = shared_limit(c);
  *ok = false;
  why[0] = 0;
  bool autom = false;
  int rc = want ? rows_mode(c, &autom) : 0;
  if (want && !rc) rc = xfft_choice(c, limit);
  VK_AGREE(c, rc);
  /* the ranks of one transform take one way: their transposes carry the same fields */
  int mine = want && rows_fit(c, autom, limit, why, whylen), all = mine;
  if (g->size > 1) DASHI_MPI(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, g->comm));
  if (mine && !all)
    snprintf(why, whylen, "another rank's device, work area or DASHI_VK_FFT does not allow it");
  if (!all) return 0;
  VK_AGREE(c, rows_setup(c));
  *ok = true;
  return 0;
}

/* the row pass's twiddles, pipelines and scratch buffers */
static int rows_setup(vk_ctx *c) {
  const dashi_grid *g = c->g;
  /* twiddles exp(-2 pi i e/N), computed in double */
  uint64_t n = (uint64_t)g->N;
  size_t bytes = (size_t)(2 * n * c->rsize);
  void *host = malloc(bytes);
  if (!host) return dashi_err(DASHI_ERR_IO, "out of memory (twiddle table, N=%d)", g->N);
  for (uint64_t e = 0; e < n; e++) {
    double a = 2.0 * M_PI * (double)e / (double)n, re = cos(a), im = -sin(a);
    if (c->f64)
      ((double *)host)[2 * e] = re, ((double *)host)[2 * e + 1] = im;
    else
      ((float *)host)[2 * e] = (float)re, ((float *)host)[2 * e + 1] = (float)im;
  }
  int rc = vk_buffer_create(c, bytes, false, &c->rows_tw, "fused row pass twiddles");
  if (!rc) rc = vk_upload(c, c->rows_tw.buf, 0, bytes, host);
  free(host);
  DASHI_CALL(rc);
  for (int i = c->rows_mem ? PIPE_ROWS_A : PIPE_ROWS; i <= (c->rows_mem ? PIPE_ROWS_C : PIPE_ROWS);
       i++)
    DASHI_CALL(vk_pipeline_ensure(c, (vk_pipe_id)i));
  for (int i = PIPE_XFFT_SRC1; c->xfft && i <= PIPE_XFFT_PRD2; i++)
    DASHI_CALL(vk_pipeline_ensure(c, (vk_pipe_id)i));
  /* the row pass through memory: its scratch rows now, not in the time loop (the lap form's
   * fourth on first use, mem_dispatch) */
  if (c->rows_mem) DASHI_CALL(mem_scratch(c, 3));
  return 0;
}

static const dashi_spec_op want_ops[7] = {DASHI_OP_U,   DASHI_OP_V,   DASHI_OP_DX, DASHI_OP_DY,
                                          DASHI_OP_S11, DASHI_OP_S12, DASHI_OP_LAP};

static uint32_t columns(uint32_t k, uint32_t mh) {
  uint32_t n = (k + 1 + 15) / 16 * 16;
  return n < mh ? n : mh;
}

/* The sources the row kernel derives its fields from (rows_pair.comp `field`: the factors of ky
 * are applied per row), in its push-constant slots: psi, v = -i kx psi, kx^2 psi/2, w, wx,
 * -kx^2 w; spec_derive codes 9 and 10 exist for this pass only. The div form derives
 * wy = i ky w from psi and kx^2 psi/2 (w = kx^2 psi + ky^2 psi; w is not a source): four x passes
 * instead of six (six instead of seven in the lap form, four without SGS). With fold_q2 the row
 * kernel adds i ky q2 to adv (backend.h): two forward x passes instead of three. */
enum { VK_OP_HALF_KX2_PSI = 9, VK_OP_NEG_KX2 = 10 };
static const int source_ops[6] = {DASHI_OP_PSI,  DASHI_OP_V,  VK_OP_HALF_KX2_PSI,
                                  DASHI_OP_COPY, DASHI_OP_DX, VK_OP_NEG_KX2};

/* the row pass through memory (rows_a/b/c.comp) over this rank's x rows: rows_pair.comp's
 * sources, outputs and flags; its scratch rows, one per group of fields (3, or 4 in the lap form:
 * the fourth made here on first use) */
static int mem_dispatch(vk_ctx *c, double smag, uint32_t flags, const VkDeviceAddress src[6],
                        const VkDeviceAddress *out, int nn, uint32_t kin, uint32_t kout) {
  const dashi_grid *g = c->g;
  int ng = (flags & 3u) == 3u ? 4 : 3;
  DASHI_CALL(mem_scratch(c, ng));
  VkDeviceAddress s[4] = {0};
  for (int i = 0; i < ng; i++) s[i] = c->rows_s[i].addr;
  uint32_t nx = (uint32_t)g->nx, gy = mem_groups(c), rows = mem_block_rows(c);
  /* block by block of rows (mem_block_rows), each from its first row's sources and outputs */
  VkDeviceSize pitch = ((VkDeviceSize)g->N / 2 + 1) * 2 * c->rsize;
  for (uint32_t r0 = 0; r0 < nx; r0 += rows) {
    VkDeviceSize at = r0 * pitch;
    vk_pc p;
    pc_init(&p, c);
    for (int i = 0; i < 6; i++) pc_addr(&p, src[i] ? src[i] + at : 0);
    for (int i = 0; i < 4; i++) pc_addr(&p, s[i]);
    pc_addr(&p, c->rows_tw.addr);
    pc_real(&p, 1.0 / ((double)g->N * g->N));
    pc_u32(&p, flags);
    pc_u32(&p, kin);
    DASHI_CALL(vk_dispatch_grid(c, PIPE_ROWS_A, &p, gy, rows));
    pc_init(&p, c);
    for (int i = 0; i < 4; i++) pc_addr(&p, s[i]);
    pc_addr(&p, c->rows_tw.addr);
    pc_addr(&p, c->partials.addr);
    pc_real(&p, 2.0 * smag);
    pc_u32(&p, flags);
    pc_u32(&p, r0);
    pc_u32(&p, nx);
    DASHI_CALL(vk_dispatch_groups(c, PIPE_ROWS_B, &p, rows));
    pc_init(&p, c);
    for (int i = 0; i < 4; i++) pc_addr(&p, s[i]);
    for (int i = 0; i < 3; i++) pc_addr(&p, i < nn && out[i] ? out[i] + at : 0);
    pc_addr(&p, c->rows_tw.addr);
    pc_u32(&p, flags);
    pc_u32(&p, kout);
    DASHI_CALL(vk_dispatch_grid(c, PIPE_ROWS_C, &p, gy, rows));
  }
  return 0;
}

/* the row kernel over this rank's x rows (N on one rank, nx on several; row stride N/2+1) from
 * the x-transformed sources (slot s at src[s], 0 where unused) to the outputs */
static int rows_dispatch(vk_ctx *c, const dashi_sgs_params *sp, const VkDeviceAddress src[6],
                         const VkDeviceAddress *out, int nn, uint32_t kin, uint32_t kout,
                         bool bout) {
  const dashi_grid *g = c->g;
  bool sgs = sp->smag > 0, lap = sp->form == DASHI_SGS_FORM_LAP;
  uint32_t flags = (sgs ? 1u : 0u) | (sgs && lap ? 2u : 0u) | (bout ? 0u : 4u) |
                   (src[3] ? 0u : 8u) | (sp->fold_q2 ? 16u : 0u) | (sp->diag ? 32u : 0u) |
                   (sp->diag && sp->fold_q2 ? 64u : 0u);
  if (c->rows_mem) {
    DASHI_CALL(mem_dispatch(c, sp->smag, flags, src, out, nn, kin, kout));
  } else {
    vk_pc p;
    pc_init(&p, c);
    for (int i = 0; i < 7; i++) pc_addr(&p, i < 6 ? src[i] : 0);
    for (int i = 0; i < 3; i++) pc_addr(&p, i < nn ? out[i] : 0);
    pc_addr(&p, c->rows_tw.addr);
    pc_addr(&p, c->partials.addr);
    pc_real(&p, 2.0 * sp->smag);
    pc_real(&p, 1.0 / ((double)g->N * g->N));
    pc_u32(&p, flags);
    pc_u32(&p, kin);
    pc_u32(&p, kout);
    DASHI_CALL(vk_dispatch_groups(c, PIPE_ROWS, &p, (uint32_t)g->nx));
  }
  if (!sp->diag) return 0;
  /* the row kernel's partials (rows_pair.comp reduce_uv, reduce_nut): max|u|, max|v|, sum nu_t */
  uint32_t R = (uint32_t)g->nx;
  VkDeviceAddress a = c->partials.addr, acc = c->acc64 ? 8 : 4;
  DASHI_CALL(vk_reduce_at(c, a, R, 2, 1, VK_RED_MAXABS, &sp->diag[0]));
  DASHI_CALL(vk_reduce_at(c, a + 2 * R * acc, R, 2, 1, VK_RED_MAXABS, &sp->diag[1]));
  return vk_reduce_at(c, a + 4 * R * acc, R, 1, 0, VK_RED_MEAN, &sp->diag[2]);
}

/* one step of the own x passes (xfft.comp, pipeline `id`) on n fields at dst (in place; the
 * sources' first step derives them from omega-hat at `src`): the transforms of the groups
 * g = 0..G-1 of rows g gstride + p pstride, columns ky < cols. Sources 1 and products 2 take
 * the rows g + N1 p (gstride 1, pstride N1), sources 2 and products 1 the rows N1 g + p. */
static int xfft_step(vk_ctx *c, vk_pipe_id id, VkDeviceAddress src, int n, const uint32_t *ops,
                     const VkDeviceAddress *dst, uint32_t cols) {
  uint32_t sc[VK_SPEC_N], code = 0, n1 = xfft_n1((uint32_t)c->g->N);
  bool strided = id == PIPE_XFFT_SRC1 || id == PIPE_XFFT_PRD2;
  uint32_t gstride = strided ? 1 : n1, pstride = strided ? n1 : 1;
  vk_rows_spec(c, 2 + (int)(id - PIPE_XFFT_SRC1), sc);
  vk_pc p;
  pc_init(&p, c);
  pc_addr(&p, src);
  for (int i = 0; i < 6; i++) pc_addr(&p, i < n ? dst[i] : 0);
  for (int i = 0; ops && i < n; i++) code |= ops[i] << (4 * i);
  pc_addr(&p, c->rows_tw.addr);
  pc_u32(&p, (uint32_t)n);
  pc_u32(&p, code);
  pc_u32(&p, gstride);
  pc_u32(&p, pstride);
  pc_u32(&p, cols);
  /* x fields (one per workgroup, except where it derives them) */
  return vk_dispatch_grid(c, id, &p, xfft_groups(sc, cols), sc[6] ? 1u : (uint32_t)n);
}

/* the x passes of one rank by xfft.comp (four-step, N = N1 N2): the sources' forward transforms
 * (conjugated, as the VkFFT way) in natural row order in, x = k2 + N2 k1 out at row k1 + N1 k2;
 * the row pass keeps that order (it is row-local), and the products' transforms take it in and
 * give the natural order out. Step 1 of the sources derives them from omega-hat (spec_derive's
 * work), reading it once. */
static int xfft_sources(vk_ctx *c, VkDeviceAddress w, int n, const dashi_spec_op *ops,
                        const VkDeviceAddress *dst, uint32_t cols) {
  uint32_t codes[6];
  for (int i = 0; i < n; i++) codes[i] = (uint32_t)ops[i];
  DASHI_CALL(xfft_step(c, PIPE_XFFT_SRC1, w, n, codes, dst, cols));
  return xfft_step(c, PIPE_XFFT_SRC2, 0, n, NULL, dst, cols);
}

static int xfft_products(vk_ctx *c, int n, const VkDeviceAddress *dst, uint32_t cols) {
  DASHI_CALL(xfft_step(c, PIPE_XFFT_PRD1, 0, n, NULL, dst, cols));
  return xfft_step(c, PIPE_XFFT_PRD2, 0, n, NULL, dst, cols);
}

int vk_products(dashi_backend *b, const dashi_sgs_params *sp, const dashi_field *w, int nd,
                const dashi_spec_op *ops, dashi_field *const *sd, int nn, dashi_field *const *out) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  const dashi_grid *g = c->g;
  bool sgs = sp->smag > 0, lap = sp->form == DASHI_SGS_FORM_LAP;
  if (sp->fold_q2 && (!sgs || lap))
    return dashi_err(DASHI_ERR_USAGE, "nonlinear_products: fold_q2 needs the div form with SGS");
  /* with diag and fold_q2, q2 also in out[2] */
  int want_nd = sgs ? (lap ? 7 : 6) : 4,
      want_nn = sgs ? (lap || (sp->fold_q2 && !sp->diag) ? 2 : 3) : 1;
  bool same = nd == want_nd && nn == want_nn;
  for (int i = 0; same && i < nd; i++) same = ops[i] == want_ops[i];
  if (!same)
    return dashi_err(DASHI_ERR_USAGE,
                     "nonlinear_products: expected the %d derivative fields of "
                     "nonlinear_pointwise and %d products",
                     want_nd, want_nn);
  uint32_t mh = (uint32_t)g->N / 2;
  bool bin = b->fft_band_in > 0 && 3 * b->fft_band_in <= g->N;
  bool bout = b->fft_band_out > 0 && 3 * b->fft_band_out <= g->N;
  uint32_t kin = bin ? (uint32_t)b->fft_band_in : mh - 1;
  uint32_t kout = bout ? (uint32_t)b->fft_band_out : mh - 1;
  uint32_t cin = columns(kin, mh), cout = columns(kout, mh);
  /* the sources this form needs: the div form derives wy from psi and kx^2 psi/2
   * (w = kx^2 psi + ky^2 psi), four x passes. On one rank in sd[0..ns) and the products in out; on
   * several the sources' slab rows in work_k, their x rows in work (slot order), the products' x
   * rows in temp (free between VkFFT launches), through the transposes of vk_fft.c */
  bool used[6] = {true, true, sgs, !sgs || lap, true, sgs && lap}, slab = g->size > 1;
  uint64_t cs = 2 * c->rsize, krow = (uint64_t)g->nky * g->N * cs;
  uint64_t xrow = (uint64_t)g->nx * (mh + 1) * cs;
  dashi_spec_op sops[6];
  VkDeviceAddress src[6] = {0}, dst[6], po[3];
  int ns = 0;
  for (int s = 0; s < 6; s++)
    if (used[s]) {
      sops[ns] = (dashi_spec_op)source_ops[s];
      dst[ns] = slab ? c->work_k.addr + ns * krow : VKF(sd[ns])->addr;
      src[s] = slab ? c->work.addr + ns * xrow : dst[ns];
      ns++;
    }
  for (int i = 0; i < nn; i++) po[i] = slab ? c->temp.addr + i * xrow : VKF(out[i])->addr;
  /* the x passes of the products: out[0..1] exactly as without diag, q2 of a fold (diag) on its
   * own after them */
  int n1 = sp->fold_q2 && sp->diag ? 2 : nn;
  if (sp->diag && 5 * (uint64_t)g->nx > 3 * (uint64_t)VK_MAX_GROUPS)
    return dashi_err(DASHI_ERR_USAGE, "nonlinear_products: %d rows' reductions exceed the partials",
                     g->nx);
  if (!slab && c->xfft) {
    DASHI_CALL(xfft_sources(c, VKF(w)->addr, ns, sops, dst, cin));
    DASHI_CALL(rows_dispatch(c, sp, src, po, nn, kin, kout, bout));
    DASHI_CALL(xfft_products(c, n1, po, cout));
    if (n1 < nn) DASHI_CALL(xfft_products(c, nn - n1, po + n1, cout));
  } else {
    DASHI_CALL(vk_derive_record(c, VKF(w)->addr, ns, sops, dst, 0, cin, true));
    if (slab) {
      DASHI_CALL(vk_fft_rows_in(c, ns));
      DASHI_CALL(rows_dispatch(c, sp, src, po, nn, kin, kout, bout));
      DASHI_CALL(vk_fft_rows_out(c, n1, c->temp.addr, out, bout));
      return n1 < nn ? vk_fft_rows_out(c, nn - n1, po[n1], out + n1, bout) : 0;
    }
    DASHI_CALL(vk_fft_xpass(c, ns, sd, cin));
    DASHI_CALL(rows_dispatch(c, sp, src, po, nn, kin, kout, bout));
    DASHI_CALL(vk_fft_xpass(c, n1, out, cout));
    if (n1 < nn) DASHI_CALL(vk_fft_xpass(c, nn - n1, out + n1, cout));
  }
  if (!bout)
    for (int i = 0; i < nn; i++) {
      const vk_field *o = VKF(out[i]);
      DASHI_CALL(vk_zero_nyquist(c, o->addr, 1, o->chunk->slot_bytes));
    }
  return 0;
}

/* The GPU decode of the proxy (SPEC §6, include/dashi/vk_decode.h): every member of a rank in
 * one submit per decode time, on a double-precision Vulkan backend of the decoder's one-rank grid
 * (MPI_COMM_SELF) whose batched VkFFT inverse transforms make the low-pass fields.
 *
 * Recorded per decode (all kernels batched over the members, member = workgroup y):
 *   zero the counters; z -> device; dec_lowpass (scatter lowk + anchors into the spectra);
 *   fft_inverse of the m fields (runs of neighbouring slots, one VkFFT launch each);
 *   dec_maxabs (partials, then per member), carrier_threshold, carrier_majority,
 *   `iters` x carrier_annihilate (each decides per member from the previous sweep's count in
 *   device memory whether it runs: no host round trip), carrier_fining (+ omega_lp and the packed
 *   carrier into the host-visible output), carrier_p95 (3 passes), copies of the counters;
 *   one submit and one wait. The host adds the residual g s exactly as dashi_decode does.
 *
 * Device buffers: s0 (threshold), s1/s2 (majority, then the annihilation ping-pong) as int per
 * cell; fin (life | cool << 16 | killed << 24 | alive-now << 25) per cell, persistent; counters
 * [m][CS] + history [m][iters] + life histograms [m][256] x 2, zeroed per decode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/vk_decode.h"
#include "dashi/vulkan.h"
#include "vk_internal.h"

/* counter slots per member (the shaders use the same numbers) */
enum {
  C_SUPPORT = 0,
  C_MAJ = 1,
  C_ANNIH = 2,
  C_ALIVE = 3,
  C_KILLED = 4,
  C_SUMLO = 5,
  C_SUMHI = 6,
  C_BAD = 7,
  C_SEL = 8,
  C_ACC = 9,
  C_NEED = 10,
  C_P95 = 11,
  CS = 16
};

struct dashi_vk_decoder {
  const dashi_proxy_layout *l;
  dashi_decode_params p;
  int m, n, nmodes, G;
  size_t cells;
  uint32_t gx_cells, gx_quads;
  dashi_grid g;
  dashi_backend *b;
  vk_ctx *c;
  dashi_field **spec, **real;
  vk_buffer tab;   /* [spec addr m][real addr m] (uvec2 each) */
  vk_buffer modes; /* [nmodes] uvec4 */
  vk_buffer zin;   /* host-visible [m][D] */
  vk_buffer zdev;  /* device [m][D] */
  vk_buffer s[3];  /* [m][cells] int */
  vk_buffer fin;   /* [m][cells] uint, persistent */
  vk_buffer cnt;   /* counters | history | hhi | hlo */
  vk_buffer maxb;  /* mx [m] | partials [m][G] */
  vk_buffer out;   /* host-visible: omega [m][cells] | carrier [m][cells] bytes | counters | mx */
  VkDeviceSize o_carrier, o_cnt, o_mx, b_hist, b_hhi, b_hlo, b_part, cnt_bytes;
  long long *killed_total;
  char device[512];
};

static VkDeviceSize align256(VkDeviceSize x) {
  return (x + 255) & ~(VkDeviceSize)255;
}

/* a dispatch of gx x gy workgroups (the member index is workgroup y) */
static int dispatch2(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t gx, uint32_t gy) {
  if (p->overflow)
    return dashi_err(DASHI_ERR_DEVICE, "GPU decode: push constants of pipeline %d exceed %u bytes",
                     (int)id, VK_PC_BYTES);
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, false);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipes[id]);
  vkCmdPushConstants(cmd, c->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, VK_PC_BYTES, p->b);
  vkCmdDispatch(cmd, gx, gy, 1);
  return vk_count(c, (int)id);
}

static int fill_zero(vk_ctx *c, const vk_buffer *b, VkDeviceSize off, VkDeviceSize size) {
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, true);
  vkCmdFillBuffer(cmd, b->buf, off, size, 0);
  return vk_count(c, PROF_FILL);
}

void dashi_vk_decoder_destroy(dashi_vk_decoder *d) {
  if (!d) return;
  if (d->b) {
    vk_ctx *c = d->c;
    if (c->dev) vkDeviceWaitIdle(c->dev);
    vk_buffer *bufs[] = {&d->tab,  &d->modes, &d->zin, &d->zdev, &d->s[0], &d->s[1],
                         &d->s[2], &d->fin,   &d->cnt, &d->maxb, &d->out};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) vk_buffer_destroy(c, bufs[i]);
    for (int j = 0; j < d->m; j++) {
      if (d->spec && d->spec[j]) d->b->ops->field_destroy(d->b, d->spec[j]);
      if (d->real && d->real[j]) d->b->ops->field_destroy(d->b, d->real[j]);
    }
    dashi_backend_destroy(d->b);
  }
  free(d->spec);
  free(d->real);
  free(d->killed_total);
  free(d);
}

static int create_body(dashi_vk_decoder *d, MPI_Comm comm, int vk_device) {
  const dashi_proxy_layout *l = d->l;
  const int n = d->n, m = d->m;
  const size_t cells = d->cells;
  DASHI_CALL(dashi_grid_create(MPI_COMM_SELF, n, &d->g));
  /* the device of this rank's node-local rank in comm (the decoder's grid is one rank) */
  dashi_backend_config bc = {.name = "vulkan",
                             .single = false,
                             .vk_device = vk_device,
                             .place = &comm,
                             .opt = "-proxy_backend"};
  int rc = dashi_backend_create(&d->g, &bc, &d->b);
  if (rc) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", dashi_err_msg());
    return dashi_err(rc,
                     "-proxy_backend vulkan: the GPU decode needs a double-precision Vulkan "
                     "backend (shaderFloat64: the carrier threshold compares in double exactly as "
                     "the CPU does): %s",
                     msg);
  }
  vk_ctx *c = d->c = VKX(d->b);
  snprintf(d->device, sizeof d->device, "%s", d->b->devices);
  const vk_pipe_id pipes[] = {
      PIPE_DEC_LOWPASS,        PIPE_DEC_MAXABS,     PIPE_CARRIER_THRESHOLD, PIPE_CARRIER_MAJORITY,
      PIPE_CARRIER_ANNIHILATE, PIPE_CARRIER_FINING, PIPE_CARRIER_P95};
  for (size_t i = 0; i < sizeof pipes / sizeof pipes[0]; i++)
    DASHI_CALL(vk_pipeline_ensure(c, pipes[i]));
  /* fields: all spectral ones, then all real ones, so that member j sits at the same slot of
   * neighbouring chunks in both lists (batched transforms) */
  d->spec = calloc((size_t)m, sizeof *d->spec);
  d->real = calloc((size_t)m, sizeof *d->real);
  d->killed_total = calloc((size_t)m, sizeof *d->killed_total);
  if (!d->spec || !d->real || !d->killed_total)
    return dashi_err(DASHI_ERR_GENERIC, "GPU decode: out of memory");
  for (int j = 0; j < m; j++)
    DASHI_CALL(d->b->ops->field_create(d->b, DASHI_FIELD_SPEC, &d->spec[j]));
  for (int j = 0; j < m; j++)
    DASHI_CALL(d->b->ops->field_create(d->b, DASHI_FIELD_REAL, &d->real[j]));
  /* buffers */
  const VkDeviceSize D = (VkDeviceSize)l->D, iters = (VkDeviceSize)d->p.iters;
  DASHI_CALL(
      vk_buffer_create(c, align256(16 * (VkDeviceSize)m), true, &d->tab, "decode field addresses"));
  DASHI_CALL(vk_buffer_create(c, align256(16 * (VkDeviceSize)d->nmodes), true, &d->modes,
                              "decode mode table"));
  DASHI_CALL(vk_buffer_create(c, align256(8 * D * m), true, &d->zin, "decode states (host)"));
  DASHI_CALL(vk_buffer_create(c, align256(8 * D * m), false, &d->zdev, "decode states"));
  for (int k = 0; k < 3; k++)
    DASHI_CALL(vk_buffer_create(c, align256(4 * cells * m), false, &d->s[k], "carrier"));
  DASHI_CALL(vk_buffer_create(c, align256(4 * cells * m), false, &d->fin, "fining state"));
  d->b_hist = align256(4 * (VkDeviceSize)CS * m);
  d->b_hhi = d->b_hist + align256(4 * iters * m);
  d->b_hlo = d->b_hhi + align256(4 * 256 * (VkDeviceSize)m);
  d->cnt_bytes = d->b_hlo + align256(4 * 256 * (VkDeviceSize)m);
  DASHI_CALL(vk_buffer_create(c, d->cnt_bytes, false, &d->cnt, "decode counters"));
  d->b_part = align256(8 * (VkDeviceSize)m);
  DASHI_CALL(vk_buffer_create(c, d->b_part + align256(8 * (VkDeviceSize)d->G * m), false, &d->maxb,
                              "decode maxima"));
  d->o_carrier = align256(8 * cells * m);
  d->o_cnt = d->o_carrier + align256(cells * m);
  d->o_mx = d->o_cnt + align256(4 * (CS + iters) * m);
  DASHI_CALL(vk_buffer_create(c, d->o_mx + align256(8 * (VkDeviceSize)m), true, &d->out,
                              "decode output (host)"));
  /* field addresses */
  uint32_t *tab = d->tab.map;
  for (int j = 0; j < m; j++) {
    VkDeviceAddress a[2] = {VKF(d->spec[j])->addr, VKF(d->real[j])->addr};
    for (int h = 0; h < 2; h++) {
      uint32_t *t = tab + 2 * ((size_t)h * m + j);
      t[0] = (uint32_t)a[h], t[1] = (uint32_t)(a[h] >> 32);
    }
  }
  /* mode table: put_mode of decode.c in the native layout [kx column][ky] (nrows = n/2 + 1) */
  uint32_t *md = d->modes.map, nrows = (uint32_t)n / 2 + 1;
  const int kept = dashi_z_kept(l);
  for (int q = 0; q < d->nmodes; q++) {
    const dashi_mode *mo = q < l->nL ? &l->L[q] : &l->anchors[q - l->nL];
    int i = q < l->nL ? q : q - l->nL;
    uint32_t *e = md + 4 * q;
    e[0] = q < l->nL ? (uint32_t)i : (uint32_t)(kept + i);
    e[1] = q < l->nL ? (uint32_t)(l->nL + i) : (uint32_t)(kept + l->K + i);
    e[2] = (uint32_t)((mo->kx + n) % n) * nrows + (uint32_t)mo->ky;
    e[3] = mo->ky == 0 ? (uint32_t)((-mo->kx + n) % n) * nrows : 0xffffffffu;
  }
  /* fresh fining state; the transform plans now (VkFFT builds them on first use) */
  DASHI_CALL(fill_zero(c, &d->fin, 0, d->fin.size));
  DASHI_CALL(d->b->ops->fft_inverse(d->b, m, d->spec, d->real));
  return vk_sync(c);
}

int dashi_vk_decoder_create(MPI_Comm comm, const dashi_proxy_layout *l,
                            const dashi_decode_params *p, int m, int vk_device,
                            dashi_vk_decoder **out) {
  *out = NULL;
  DASHI_CALL(dashi_decode_params_check(l, p));
  const int n = p->n;
  const uint64_t cells = (uint64_t)n * n;
  if (m < 1 || m > 65535 || cells * (uint64_t)m >= ((uint64_t)1 << 31) ||
      cells / 4 / VK_WG > VK_MAX_GROUPS)
    return dashi_err(DASHI_ERR_USAGE,
                     "GPU decode: %d member(s) at decode_N %d is beyond the 32-bit indexing of "
                     "the decode kernels (members x decode_N^2 < 2^31, 1..65535 members, "
                     "decode_N <= 4096): use more proxy ranks",
                     m, n);
  dashi_vk_decoder *d = calloc(1, sizeof *d);
  if (!d) return dashi_err(DASHI_ERR_GENERIC, "GPU decode: out of memory");
  d->l = l;
  d->p = *p;
  d->m = m;
  d->n = n;
  d->cells = (size_t)cells;
  d->nmodes = l->nL + l->K;
  uint64_t g = (cells + VK_WG * 8 - 1) / (VK_WG * 8);
  d->G = g > 256 ? 256 : (int)g;
  /* 4 cells per invocation (grid-stride): a member that has stopped its annihilation costs its
   * workgroups an early exit per later sweep, so fewer, fuller workgroups */
  uint64_t gx = (cells + 4 * VK_WG - 1) / (4 * VK_WG);
  d->gx_cells = gx > VK_MAX_GROUPS ? VK_MAX_GROUPS : (uint32_t)gx;
  d->gx_quads = (uint32_t)((cells / 4 + VK_WG - 1) / VK_WG);
  int rc = create_body(d, comm, vk_device);
  if (rc) {
    dashi_vk_decoder_destroy(d);
    return rc;
  }
  *out = d;
  return 0;
}

/* steps 2-5 on the low-pass fields in d->real, the counters, the copies to the host output */
static int record_carrier(dashi_vk_decoder *d) {
  vk_ctx *c = d->c;
  const uint32_t m = (uint32_t)d->m, iters = (uint32_t)d->p.iters;
  const VkDeviceAddress treal = d->tab.addr + 8 * (VkDeviceSize)m, cnt = d->cnt.addr;
  const VkDeviceAddress mx = d->maxb.addr, part = d->maxb.addr + d->b_part;
  vk_pc p;
  for (uint32_t op = 0; op < 2; op++) { /* max |omega_lp|: partials, then per member */
    pc_init(&p, c);
    pc_addr(&p, treal);
    pc_addr(&p, part);
    pc_addr(&p, mx);
    pc_addr(&p, cnt);
    pc_u32(&p, (uint32_t)d->G);
    pc_u32(&p, op);
    pc_u32(&p, CS);
    pc_u32(&p, C_BAD);
    DASHI_CALL(dispatch2(c, PIPE_DEC_MAXABS, &p, op ? 1 : (uint32_t)d->G, m));
  }
  pc_init(&p, c);
  pc_addr(&p, treal);
  pc_addr(&p, mx);
  pc_addr(&p, d->s[0].addr);
  pc_addr(&p, cnt);
  pc_real(&p, d->p.tau);
  pc_u32(&p, CS);
  pc_u32(&p, C_SUPPORT);
  DASHI_CALL(dispatch2(c, PIPE_CARRIER_THRESHOLD, &p, d->gx_cells, m));
  pc_init(&p, c);
  pc_addr(&p, d->s[0].addr);
  pc_addr(&p, d->s[1].addr);
  pc_addr(&p, cnt);
  pc_u32(&p, CS);
  pc_u32(&p, C_MAJ);
  DASHI_CALL(dispatch2(c, PIPE_CARRIER_MAJORITY, &p, d->gx_cells, m));
  for (uint32_t it = 0; it < iters; it++) {
    pc_init(&p, c);
    pc_addr(&p, d->s[1 + it % 2].addr);
    pc_addr(&p, d->s[2 - it % 2].addr);
    pc_addr(&p, cnt + d->b_hist);
    pc_u32(&p, iters);
    pc_u32(&p, it);
    pc_u32(&p, (uint32_t)d->p.plateau);
    DASHI_CALL(dispatch2(c, PIPE_CARRIER_ANNIHILATE, &p, d->gx_cells, m));
  }
  pc_init(&p, c);
  pc_addr(&p, d->s[1].addr);
  pc_addr(&p, d->s[2].addr);
  pc_addr(&p, d->fin.addr);
  pc_addr(&p, cnt);
  pc_addr(&p, cnt + d->b_hist);
  pc_addr(&p, cnt + d->b_hhi);
  pc_addr(&p, d->out.addr + d->o_carrier);
  pc_addr(&p, treal);
  pc_addr(&p, d->out.addr);
  pc_u32(&p, iters);
  pc_u32(&p, CS);
  pc_u32(&p, DASHI_COOL_MAX);
  pc_u32(&p, DASHI_LIFE_DECAY);
  DASHI_CALL(dispatch2(c, PIPE_CARRIER_FINING, &p, d->gx_quads, m));
  for (uint32_t op = 0; op < 3; op++) { /* exact p95 of life */
    pc_init(&p, c);
    pc_addr(&p, d->fin.addr);
    pc_addr(&p, cnt);
    pc_addr(&p, cnt + d->b_hhi);
    pc_addr(&p, cnt + d->b_hlo);
    pc_u32(&p, CS);
    pc_u32(&p, op);
    DASHI_CALL(dispatch2(c, PIPE_CARRIER_P95, &p, op == 1 ? d->gx_cells : 1, m));
  }
  /* counters and history are contiguous at the start of the counter buffer */
  DASHI_CALL(vk_copy(c, d->cnt.buf, 0, d->out.buf, d->o_cnt, 4 * (VkDeviceSize)CS * m));
  if (iters)
    DASHI_CALL(vk_copy(c, d->cnt.buf, d->b_hist, d->out.buf, d->o_cnt + 4 * (VkDeviceSize)CS * m,
                       4 * (VkDeviceSize)iters * m));
  DASHI_CALL(vk_copy(c, d->maxb.buf, 0, d->out.buf, d->o_mx, 8 * (VkDeviceSize)m));
  return vk_sync(c);
}

/* the statistics, the history and the residual from the read-back output */
static int finish(dashi_vk_decoder *d, const double *e_target, double *omega,
                  dashi_decode_stats *st, int *history, int8_t *carrier) {
  const int m = d->m, iters = d->p.iters;
  const size_t cells = d->cells;
  const char *out = d->out.map;
  const uint32_t *cn = (const uint32_t *)(out + d->o_cnt), *hi = cn + (size_t)CS * m;
  const double *mx = (const double *)(out + d->o_mx);
  for (int j = 0; j < m; j++)
    if (cn[(size_t)j * CS + C_BAD])
      return dashi_err(DASHI_ERR_NUMERICS,
                       "GPU decode: the low-pass field of member %d (of this rank's %d) has a "
                       "non-finite value",
                       j, m);
  for (int j = 0; j < m; j++) {
    const uint32_t *cj = cn + (size_t)j * CS, *hj = hi + (size_t)j * iters;
    dashi_decode_stats *s = &st[j];
    memset(s, 0, sizeof *s);
    s->max_lp = mx[j];
    s->support = (int)cj[C_SUPPORT];
    s->after_majority = (int)cj[C_MAJ];
    s->after_annihilation = (int)cj[C_ANNIH];
    for (int i = 0; i < iters; i++) {
      s->annih_iters += hj[i] != 0;
      if (history) history[(size_t)j * iters + i] = (int)hj[i] - 1;
    }
    const int alive = (int)cj[C_ALIVE];
    uint64_t sum = (uint64_t)cj[C_SUMHI] << 32 | cj[C_SUMLO];
    d->killed_total[j] += cj[C_KILLED];
    s->fin.alive = alive;
    s->fin.killed_now = (int)cj[C_KILLED];
    s->fin.killed_total = d->killed_total[j];
    s->fin.mean_life = alive ? (double)sum / alive : 0.0;
    s->fin.p95_life = (int)cj[C_P95];
    s->e_target = e_target[j];
    const int8_t *sj = (const int8_t *)(out + d->o_carrier) + (size_t)j * cells;
    if (carrier) memcpy(carrier + (size_t)j * cells, sj, cells);
    double *w = omega ? omega + (size_t)j * cells : NULL;
    const double *lp = (const double *)out + (size_t)j * cells;
    bool add = false;
    if (d->p.residual) {
      if (s->e_target > 0 && alive > 0) {
        /* exactly dashi_decode's arithmetic (nz = alive: killed cells are already off):
         * omega = omega_lp, then omega += g s */
        s->gain = sqrt(2.0 * s->e_target * (double)cells / alive);
        add = true;
      } else {
        s->residual_skipped = true;
      }
    }
    if (w && add)
      for (size_t k = 0; k < cells; k++) w[k] = lp[k] + s->gain * sj[k];
    else if (w)
      memcpy(w, lp, sizeof(double) * cells);
  }
  return 0;
}

int dashi_vk_decode(dashi_vk_decoder *d, const double *z, double *omega, dashi_decode_stats *st,
                    int *history, int8_t *carrier) {
  vk_ctx *c = d->c;
  const int m = d->m, D = d->l->D;
  PetscLogEventBegin(dashi_ev_decode, 0, 0, 0, 0);
  int rc = vk_sync(c); /* the host-visible input is free */
  if (!rc) {
    memcpy(d->zin.map, z, sizeof(double) * (size_t)m * D);
    rc = fill_zero(c, &d->cnt, 0, d->cnt_bytes);
  }
  if (!rc) rc = vk_copy(c, d->zin.buf, 0, d->zdev.buf, 0, sizeof(double) * (size_t)m * D);
  if (!rc) {
    vk_pc p;
    pc_init(&p, c);
    pc_addr(&p, d->modes.addr);
    pc_addr(&p, d->zdev.addr);
    pc_addr(&p, d->tab.addr);
    pc_u32(&p, (uint32_t)d->nmodes);
    pc_u32(&p, (uint32_t)D);
    pc_u32(&p, (uint32_t)(d->nmodes * m));
    rc = vk_dispatch(c, PIPE_DEC_LOWPASS, &p, (uint64_t)d->nmodes * m);
  }
  if (!rc) rc = d->b->ops->fft_inverse(d->b, m, d->spec, d->real);
  if (!rc) rc = record_carrier(d);
  if (!rc) {
    double *et = malloc(sizeof(double) * (size_t)m);
    const int hdr = dashi_z_hdr(d->l);
    for (int j = 0; j < m; j++)
      et[j] = z[(size_t)j * D + hdr + DASHI_HDR_EMID] + z[(size_t)j * D + hdr + DASHI_HDR_EHIGH];
    rc = finish(d, et, omega, st, history, carrier);
    free(et);
  }
  PetscLogEventEnd(dashi_ev_decode, 0, 0, 0, 0);
  return rc;
}

int dashi_vk_decode_carrier(dashi_vk_decoder *d, const double *omega_lp, const double *e_target,
                            double *omega, dashi_decode_stats *st, int *history, int8_t *carrier) {
  vk_ctx *c = d->c;
  for (int j = 0; j < d->m; j++)
    DASHI_CALL(d->b->ops->real_put(d->b, d->real[j], omega_lp + (size_t)j * d->cells));
  DASHI_CALL(fill_zero(c, &d->cnt, 0, d->cnt_bytes));
  DASHI_CALL(record_carrier(d));
  return finish(d, e_target, omega, st, history, carrier);
}

int dashi_vk_decoder_threshold(dashi_vk_decoder *d, int j, int8_t *s) {
  if (j < 0 || j >= d->m) return dashi_err(DASHI_ERR_USAGE, "GPU decode: no member %d", j);
  int32_t *t = malloc(4 * d->cells);
  int rc = vk_download(d->c, d->s[0].buf, 4 * (VkDeviceSize)j * d->cells, 4 * d->cells, t);
  for (size_t k = 0; k < d->cells && !rc; k++) s[k] = (int8_t)t[k];
  free(t);
  return rc;
}

int dashi_vk_decoder_fining(dashi_vk_decoder *d, int j, uint16_t *life, uint8_t *cool,
                            uint8_t *killed) {
  if (j < 0 || j >= d->m) return dashi_err(DASHI_ERR_USAGE, "GPU decode: no member %d", j);
  uint32_t *t = malloc(4 * d->cells);
  int rc = vk_download(d->c, d->fin.buf, 4 * (VkDeviceSize)j * d->cells, 4 * d->cells, t);
  for (size_t k = 0; k < d->cells && !rc; k++) {
    if (life) life[k] = (uint16_t)(t[k] & 0xffffu);
    if (cool) cool[k] = (uint8_t)(t[k] >> 16 & 0xffu);
    if (killed) killed[k] = (uint8_t)(t[k] >> 24 & 1u);
  }
  free(t);
  return rc;
}

int dashi_vk_decoder_set_fining(dashi_vk_decoder *d, int j, const uint16_t *life,
                                const uint8_t *cool, const uint8_t *killed) {
  if (j < 0 || j >= d->m) return dashi_err(DASHI_ERR_USAGE, "GPU decode: no member %d", j);
  uint32_t *t = malloc(4 * d->cells);
  long long kills = 0;
  for (size_t k = 0; k < d->cells; k++) {
    t[k] = (uint32_t)life[k] | (uint32_t)cool[k] << 16 | (uint32_t)(killed[k] != 0) << 24;
    kills += killed[k] != 0;
  }
  int rc = vk_upload(d->c, d->fin.buf, 4 * (VkDeviceSize)j * d->cells, 4 * d->cells, t);
  free(t);
  d->killed_total[j] = kills;
  return rc;
}

int64_t dashi_vk_decoder_submits(const dashi_vk_decoder *d) {
  return d->c->submits;
}

const char *dashi_vk_decoder_device(const dashi_vk_decoder *d) {
  return d->device;
}

int dashi_vk_decoder_profile(dashi_vk_decoder *d, char *buf, size_t n) {
  return dashi_vulkan_profile(d->b, buf, n);
}

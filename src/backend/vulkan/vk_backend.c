/* The Vulkan backend behind the seam of include/dashi/backend.h: set-up, the ops table, teardown.
 * Asking for it where no usable device exists is a DASHI_ERR_DEVICE naming the device and the
 * stage; there is no fallback to the CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"
#include "dashi/vulkan.h"

static int sync_op(dashi_backend *b) {
  DASHI_CALL(vk_flush_pending(VKX(b)));
  return vk_sync(VKX(b));
}

static void destroy(dashi_backend *b) {
  if (!b) return;
  vk_ctx *c = VKX(b);
  if (c) {
    if (c->dev) vkDeviceWaitIdle(c->dev);
    vk_fft_destroy(c);
    vk_chunks_destroy(c);
    vk_buffer_destroy(c, &c->partials);
    vk_buffer_destroy(c, &c->results);
    vk_buffer_destroy(c, &c->staging);
    vk_buffer_destroy(c, &c->dtab);
    vk_buffer_destroy(c, &c->rows_tw);
    for (int i = 0; i < 4; i++) vk_buffer_destroy(c, &c->rows_s[i]);
    vk_pipelines_destroy(c);
    vk_context_destroy(c);
    free(c);
  }
  free(b);
}

/* -gpu_steps_per_submit k: the k-th step's commands end the command buffer, which is submitted
 * without waiting */
static int step_end_op(dashi_backend *b) {
  vk_ctx *c = VKX(b);
  if (c->lose_after && ++c->steps_done >= c->lose_after) c->lost = true;
  if (c->steps_per_submit <= 0 || ++c->steps_recorded < c->steps_per_submit) return 0;
  c->steps_recorded = 0;
  DASHI_CALL(vk_flush_pending(c));
  return vk_submit(c, false);
}

#define VK_OPS_COMMON                                                                              \
  .destroy = destroy, .field_create = vk_field_create, .field_destroy = vk_field_destroy,          \
  .fft_forward = vk_fft_forward, .fft_inverse = vk_fft_inverse, .spec_derive = vk_spec_derive,     \
  .nonlinear_pointwise = vk_nonlinear, .spec_tendency = vk_spec_tendency,                          \
  .spec_lincomb = vk_spec_lincomb, .spec_filter = vk_spec_filter, .spec_dot = vk_spec_dot,         \
  .spec_moments = vk_spec_moments, .spec_shells = vk_spec_shells, .real_maxabs = vk_real_maxabs,   \
  .spec_ring_kick = vk_spec_ring_kick, .spec_get = vk_spec_get, .spec_put = vk_spec_put,           \
  .real_get = vk_real_get, .real_get_native = vk_real_get_native, .real_put = vk_real_put,         \
  .sync = sync_op, .step_end = step_end_op, .reductions_defer = vk_reductions_defer

static const struct dashi_backend_ops vk_ops = {VK_OPS_COMMON};
/* DASHI_VK_FFT=fused where the row pass can run (vk_rows.c) */
static const struct dashi_backend_ops vk_ops_fused = {VK_OPS_COMMON,
                                                      .nonlinear_products = vk_products};

static void set_layout(vk_ctx *c) {
  const dashi_grid *g = c->g;
  vk_layout *l = &c->lay;
  l->N = (uint32_t)g->N;
  l->nky = (uint32_t)g->nky;
  l->ky0 = (uint32_t)g->ky0;
  l->kyfast = g->size == 1; /* VkFFT's native 2D R2C layout on one rank */
  l->nrows = l->kyfast ? l->N / 2 + 1 : l->nky;
  l->count = l->nrows * l->N;
  c->rsize = c->f64 ? sizeof(double) : sizeof(float);
  c->real_bytes = (VkDeviceSize)g->nx * g->N * c->rsize;
  c->spec_bytes = (VkDeviceSize)l->count * 2 * c->rsize;
}

/* the device, its pipelines and the buffers of every size (local after the context's node split) */
static int setup_device(vk_ctx *c, const dashi_backend_config *cfg) {
  const dashi_grid *g = c->g;
  DASHI_CALL(vk_context_create(c, cfg));
  DASHI_CALL(vk_pipelines_create(c));
  VkDeviceSize acc = c->acc64 ? 8 : 4;
  DASHI_CALL(
      vk_buffer_create(c, acc * 3 * VK_MAX_GROUPS, false, &c->partials, "reduction partials"));
  DASHI_CALL(vk_buffer_create(c, acc * ((VkDeviceSize)g->N / 2 + 64), true, &c->results,
                              "reduction results"));
  VkDeviceSize field = c->spec_bytes > c->real_bytes ? c->spec_bytes : c->real_bytes;
  VkDeviceSize stage = field < VK_STAGING_BYTES ? field : VK_STAGING_BYTES;
  /* test only: a staging buffer of a few bytes, so that small fields cross its chunks where
   * N >= 4096 does (vk_fields.c transfer; a multiple of 16 bytes, one complex double) */
  uint64_t sb;
  DASHI_CALL(vk_env_bytes("DASHI_VK_STAGING_BYTES", 16, 16, "a multiple of 16", &sb));
  if (sb && sb < stage) stage = sb;
  DASHI_CALL(vk_buffer_create(c, stage, true, &c->staging, "staging"));
  return 0;
}

static int setup(dashi_backend *b, const dashi_backend_config *cfg) {
  vk_ctx *c = VKX(b);
  const dashi_grid *g = c->g;
  if ((uint64_t)g->N * (uint64_t)(g->N / 2 + 1) >= ((uint64_t)1 << 31))
    return dashi_err(DASHI_ERR_USAGE,
                     "-backend vulkan: N=%d is beyond the 32-bit indexing of the "
                     "shaders (N <= 32768)",
                     g->N);
  /* a device missing or too small on one rank stops every rank (VK_AGREE); vk_fft_init and
   * vk_rows_init agree on their own steps */
  VK_AGREE(c, setup_device(c, cfg));
  DASHI_CALL(vk_fft_init(c));
  char rows[448] = "";
  /* auto: the fused products wherever they fit (measured faster than the 2D plans at every N
   * they fit on an H200, and than the 1D-plan composition on 2 H200s at N = 8192: 42.9 against
   * 66.8 ms/step; docs/performance.md) */
  bool want = c->fft_zeropad & (VK_FUSED | VK_AUTO), ok;
  char why[384];
  DASHI_CALL(vk_rows_init(c, want, &ok, why, sizeof why));
  if (ok) {
    char name[96];
    b->ops = &vk_ops_fused;
    snprintf(rows, sizeof rows, "; nonlinear products fused (%s + %s)",
             g->size > 1 ? "slab transposes"
             : c->xfft   ? "own x passes"
                         : "VkFFT x passes",
             vk_rows_name(c, name, sizeof name));
  } else if (want) {
    snprintf(rows, sizeof rows, "; fused nonlinear products not used: %s", why);
  }
  int v = vk_fft_version();
  snprintf(b->fft_library, sizeof b->fft_library, "VkFFT %d.%d.%d (%s%s, %s, %s%s)", v / 10000,
           v / 100 % 100, v % 100, g->size == 1 ? "2D R2C plans" : "1D plans, ",
           g->size == 1 ? "" : vk_fft_transport(c), c->f64 ? "double" : "single", vk_fft_variant(c),
           rows);
  uint32_t dv = c->props.driverVersion;
  char drv[32];
  if (c->props.vendorID == 0x10DE) /* NVIDIA packs 10.8.8.6 bits */
    snprintf(drv, sizeof drv, "%u.%u.%u", dv >> 22, (dv >> 14) & 0xffu, (dv >> 6) & 0xffu);
  else
    snprintf(drv, sizeof drv, "%u.%u.%u", VK_API_VERSION_MAJOR(dv), VK_API_VERSION_MINOR(dv),
             VK_API_VERSION_PATCH(dv));
  snprintf(b->devices, sizeof b->devices,
           "rank %d: Vulkan device %d of %d: %s (driver %s, API %u.%u)", g->rank, c->device_index,
           c->device_count, c->device_name, drv, VK_API_VERSION_MAJOR(c->props.apiVersion),
           VK_API_VERSION_MINOR(c->props.apiVersion));
  return 0;
}

int dashi_vulkan_backend_create(const dashi_grid *g, const dashi_backend_config *cfg,
                                dashi_backend **out) {
  *out = NULL;
  dashi_backend *b = calloc(1, sizeof *b);
  vk_ctx *c = calloc(1, sizeof *c);
  b->ops = &vk_ops;
  b->grid = g;
  b->name = "vulkan";
  b->single = cfg->single;
  b->impl = c;
  c->g = g;
  c->owner = b;
  c->f64 = !cfg->single;
  c->device_index = -1;
  c->steps_per_submit = cfg->steps_per_submit;
  set_layout(c);
  int rc = setup(b, cfg);
  if (rc) {
    destroy(b);
    *out = NULL;
    return rc;
  }
  *out = b;
  return 0;
}

int dashi_vulkan_fft_time(dashi_backend *b, dashi_field *real, dashi_field *spec, int reps,
                          double ms[2]) {
  if (strcmp(b->name, "vulkan"))
    return dashi_err(DASHI_ERR_USAGE, "dashi_vulkan_fft_time needs the vulkan backend");
  return vk_fft_time(b, real, spec, reps, ms);
}

int dashi_vulkan_fft_rows_time(dashi_backend *b, int reps, double *ms) {
  if (strcmp(b->name, "vulkan"))
    return dashi_err(DASHI_ERR_USAGE, "dashi_vulkan_fft_rows_time needs the vulkan backend");
  return vk_fft_rows_time(b, reps, ms);
}

_Static_assert(PROF_COUNT <= DASHI_VK_STAGES, "DASHI_VK_STAGES holds every profile label");

int dashi_vulkan_memory(const dashi_backend *b, double *peak, double *heap, double *vkfft) {
  *peak = *heap = *vkfft = 0;
  if (strcmp(b->name, "vulkan")) return 0;
  const vk_ctx *c = VKX(b);
  *peak = (double)c->held_peak;
  *heap = (double)vk_device_heap(c);
  *vkfft = (double)c->vkfft_held;
  return 0;
}

int dashi_vulkan_stage_times(dashi_backend *b, int *n, const char *names[DASHI_VK_STAGES],
                             long long calls[DASHI_VK_STAGES], double ms[DASHI_VK_STAGES]) {
  *n = 0;
  if (strcmp(b->name, "vulkan")) return 0;
  vk_ctx *c = VKX(b);
  if (!c->prof) return 0;
  DASHI_CALL(vk_sync(c));
  for (int i = 0; i < PROF_COUNT; i++) {
    names[i] = vk_prof_name(i);
    calls[i] = (long long)c->prof_n[i];
    ms[i] = c->prof_ms[i];
    c->prof_ms[i] = 0, c->prof_n[i] = 0;
  }
  *n = PROF_COUNT;
  return 0;
}

int dashi_vulkan_profile(dashi_backend *b, char *buf, size_t n) {
  const char *names[DASHI_VK_STAGES];
  long long calls[DASHI_VK_STAGES];
  double ms[DASHI_VK_STAGES], tot = 0;
  int ns;
  buf[0] = 0;
  DASHI_CALL(dashi_vulkan_stage_times(b, &ns, names, calls, ms));
  for (int i = 0; i < ns; i++) tot += ms[i];
  for (int i = 0; i < ns; i++) {
    size_t len = strlen(buf);
    if (calls[i] && len < n)
      snprintf(buf + len, n - len, "%s\"%s\": [%lld, %.4f, %.4f]", len ? ", " : "", names[i],
               calls[i], ms[i], tot > 0 ? ms[i] / tot : 0.0);
  }
  return 0;
}

int dashi_vulkan_fft_band_state(const dashi_backend *b) {
  return strcmp(b->name, "vulkan") ? 0 : VKX(b)->fft_band_probe;
}

int64_t dashi_vulkan_submits(const dashi_backend *b) {
  return strcmp(b->name, "vulkan") ? 0 : VKX(b)->submits;
}

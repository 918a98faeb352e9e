/* Compute pipelines from the embedded SPIR-V (shaders/NAME.comp, compiled by glslc at build time),
 * one pipeline layout with 128 bytes of push constants and no descriptor set, and the dispatch
 * helpers. Push constants are packed here in the order and alignment (std430) of the shaders'
 * `PC` blocks: buffer addresses (8 bytes), REALs (8 or 4), uints (4). */
#include <stdio.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"

typedef struct {
  const char *name;
  const uint32_t *words;
  size_t bytes;
} dashi_spv_blob;
extern const dashi_spv_blob dashi_spv_blobs[];

static const struct {
  const char *name;
  bool reduction; /* has an f32a variant (float accumulators) */
  bool lazy;      /* double only, created on first use (vk_pipeline_ensure): proxy kernels */
  /* the fused products' kernels (vk_rows.c): their own specialization (vk_rows_spec), created on
   * first use: 1 the row pass, 2..5 the four x steps, 6..8 the row pass through memory */
  int own;
  const char *label; /* in the profile, where one shader makes several pipelines (else name) */
} shaders[PIPE_COUNT] = {
    [PIPE_SPEC_DERIVE] = {"spec_derive", false},
    [PIPE_NONLINEAR] = {"nonlinear", true},
    [PIPE_TENDENCY] = {"spec_tendency", false},
    [PIPE_LINCOMB] = {"lincomb", false},
    [PIPE_FILTER] = {"spec_filter", false},
    [PIPE_ZERO_NYQ] = {"zero_nyquist", false},
    [PIPE_RING] = {"ring_kick", false},
    [PIPE_TR_FWD_PACK] = {"tr_fwd_pack", false},
    [PIPE_TR_FWD_UNPACK] = {"tr_fwd_unpack", false},
    [PIPE_TR_INV_PACK] = {"tr_inv_pack", false},
    [PIPE_TR_INV_UNPACK] = {"tr_inv_unpack", false},
    [PIPE_DOT] = {"red_dot", true},
    [PIPE_MOMENTS] = {"red_moments", true},
    [PIPE_MAXABS] = {"red_maxabs", true},
    [PIPE_FINAL] = {"red_final", true},
    [PIPE_SHELLS] = {"shells", true},
    [PIPE_ROLL_GEMM] = {"roll_gemm", false, true},
    [PIPE_DEC_LOWPASS] = {"dec_lowpass", false, true},
    [PIPE_DEC_MAXABS] = {"dec_maxabs", false, true},
    [PIPE_CARRIER_THRESHOLD] = {"carrier_threshold", false, true},
    [PIPE_CARRIER_MAJORITY] = {"carrier_majority", false, true},
    [PIPE_CARRIER_ANNIHILATE] = {"carrier_annihilate", false, true},
    [PIPE_CARRIER_FINING] = {"carrier_fining", false, true},
    [PIPE_CARRIER_P95] = {"carrier_p95", false, true},
    [PIPE_ROWS] = {"rows_pair", true, false, 1},
    [PIPE_XFFT_SRC1] = {"xfft", false, false, 2, "xfft sources 1"},
    [PIPE_XFFT_SRC2] = {"xfft", false, false, 3, "xfft sources 2"},
    [PIPE_XFFT_PRD1] = {"xfft", false, false, 4, "xfft products 1"},
    [PIPE_XFFT_PRD2] = {"xfft", false, false, 5, "xfft products 2"},
    [PIPE_ROWS_A] = {"rows_a", false, false, 6},
    [PIPE_ROWS_B] = {"rows_b", true, false, 7},
    [PIPE_ROWS_C] = {"rows_c", false, false, 8},
    [PIPE_COPY] = {"copy_words", false},
};

void pc_init(vk_pc *p, const vk_ctx *c) {
  memset(p, 0, sizeof *p);
  p->f64 = c->f64;
}

static void pc_put(vk_pc *p, const void *x, uint32_t size) {
  uint32_t at = (p->n + size - 1) / size * size;
  if (at + size > VK_PC_BYTES) {
    p->overflow = true;
    return;
  }
  memcpy(p->b + at, x, size);
  p->n = at + size;
}

void pc_addr(vk_pc *p, VkDeviceAddress a) {
  pc_put(p, &a, 8);
}
void pc_u32(vk_pc *p, uint32_t x) {
  pc_put(p, &x, 4);
}
void pc_real(vk_pc *p, double x) {
  if (p->f64) {
    pc_put(p, &x, 8);
  } else {
    float f = (float)x;
    pc_put(p, &f, 4);
  }
}

static const dashi_spv_blob *find_blob(const char *name) {
  for (const dashi_spv_blob *b = dashi_spv_blobs; b->name; b++)
    if (!strcmp(b->name, name)) return b;
  return NULL;
}

/* DASHI_VK_PROFILE: the driver's statistics of a row kernel (registers, spills) on stderr */
static void print_stats(vk_ctx *c, VkPipeline pipe, const char *name) {
  PFN_vkGetPipelineExecutableStatisticsKHR get =
      (PFN_vkGetPipelineExecutableStatisticsKHR)vkGetDeviceProcAddr(
          c->dev, "vkGetPipelineExecutableStatisticsKHR");
  VkPipelineExecutableInfoKHR ei = {.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR,
                                    .pipeline = pipe};
  VkPipelineExecutableStatisticKHR st[32];
  uint32_t n = 32;
  for (uint32_t k = 0; k < n; k++)
    st[k] = (VkPipelineExecutableStatisticKHR){
        .sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR};
  if (!get || get(c->dev, &ei, &n, st) < 0) return;
  fprintf(stderr, "dashi: %s (N=%u):", name, c->lay.N);
  for (uint32_t k = 0; k < n; k++) {
    const VkPipelineExecutableStatisticKHR *x = &st[k];
    if (x->format == VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR)
      fprintf(stderr, " %s=%llu;", x->name, (unsigned long long)x->value.u64);
    else if (x->format == VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR)
      fprintf(stderr, " %s=%lld;", x->name, (long long)x->value.i64);
  }
  fprintf(stderr, "\n");
}

/* pipeline `i` with the grid layout as specialization constants 0..6 (common.glsl); the fused
 * products' kernels (rows_pair.comp, xfft.comp, rows_a/b/c.comp) take their own (vk_rows_spec)
 * instead */
static int make_pipeline(vk_ctx *c, int i) {
  const vk_layout *l = &c->lay;
  uint32_t sc[VK_SPEC_N] = {
      l->N, l->nrows, l->nky, l->ky0, l->kyfast, l->count, (uint32_t)c->g->nx * (uint32_t)c->g->N};
  if (shaders[i].own) vk_rows_spec(c, shaders[i].own, sc);
  VkSpecializationMapEntry me[VK_SPEC_N];
  for (uint32_t k = 0; k < VK_SPEC_N; k++)
    me[k] = (VkSpecializationMapEntry){.constantID = k, .offset = 4 * k, .size = 4};
  VkSpecializationInfo si = {
      .mapEntryCount = VK_SPEC_N, .pMapEntries = me, .dataSize = sizeof sc, .pData = sc};
  char name[64];
  const char *v = c->f64 ? "f64" : (shaders[i].reduction && !c->acc64) ? "f32a" : "f32";
  if (shaders[i].lazy && !c->f64)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan backend: the %s kernel is used in double precision only (the "
                     "proxy's GPU rollout and decode need a double-precision context)",
                     shaders[i].name);
  snprintf(name, sizeof name, "%s_%s", shaders[i].name, v);
  const dashi_spv_blob *blob = find_blob(name);
  if (!blob)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan backend: shader %s.spv is not embedded in this "
                     "build",
                     name);
  VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                 .codeSize = blob->bytes,
                                 .pCode = blob->words};
  VkShaderModule mod;
  char stage[128];
  snprintf(stage, sizeof stage, "creating the shader module %s", name);
  VkResult r = vkCreateShaderModule(c->dev, &mi, NULL, &mod);
  if (r != VK_SUCCESS) return vk_fail(c, stage, r);
  VkComputePipelineCreateInfo pi = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .flags = c->exec_stats && shaders[i].own ? VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR : 0,
      .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = mod,
                .pName = "main",
                .pSpecializationInfo = &si},
      .layout = c->layout};
  snprintf(stage, sizeof stage, "creating the compute pipeline %s", name);
  r = vkCreateComputePipelines(c->dev, VK_NULL_HANDLE, 1, &pi, NULL, &c->pipes[i]);
  vkDestroyShaderModule(c->dev, mod, NULL);
  if (r != VK_SUCCESS) return vk_fail(c, stage, r);
  if (pi.flags) print_stats(c, c->pipes[i], name);
  return 0;
}

int vk_pipelines_create(vk_ctx *c) {
  VkPushConstantRange pr = {
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = VK_PC_BYTES};
  VkPipelineLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                   .pushConstantRangeCount = 1,
                                   .pPushConstantRanges = &pr};
  VkResult r = vkCreatePipelineLayout(c->dev, &li, NULL, &c->layout);
  if (r != VK_SUCCESS) return vk_fail(c, "vkCreatePipelineLayout", r);
  for (int i = 0; i < PIPE_COUNT; i++)
    if (!shaders[i].lazy && !shaders[i].own) DASHI_CALL(make_pipeline(c, i));
  return 0;
}

int vk_pipeline_ensure(vk_ctx *c, vk_pipe_id id) {
  return c->pipes[id] ? 0 : make_pipeline(c, (int)id);
}

void vk_pipelines_destroy(vk_ctx *c) {
  if (!c->dev) return;
  for (int i = 0; i < PIPE_COUNT; i++)
    if (c->pipes[i]) vkDestroyPipeline(c->dev, c->pipes[i], NULL);
  if (c->layout) vkDestroyPipelineLayout(c->dev, c->layout, NULL);
}

const char *vk_prof_name(int label) {
  static const char *other[] = {"VkFFT forward", "VkFFT inverse", "buffer copies",
                                "field zero-fill"};
  if (label >= PIPE_COUNT) return other[label - PIPE_COUNT];
  return shaders[label].label ? shaders[label].label : shaders[label].name;
}

uint32_t vk_groups_for(uint64_t count) {
  uint64_t g = (count + VK_WG - 1) / VK_WG;
  if (g > VK_MAX_GROUPS) g = VK_MAX_GROUPS;
  return g ? (uint32_t)g : 1u;
}

static int dispatch(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t groups, uint32_t gy,
                    bool barrier) {
  if (p->overflow)
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan backend: push constants of %s exceed %u bytes",
                     shaders[id].name, VK_PC_BYTES);
  if (!groups || !gy) return 0; /* never dispatch zero workgroups */
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  if (barrier) vk_barrier(c, cmd, false);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipes[id]);
  vkCmdPushConstants(cmd, c->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, VK_PC_BYTES, p->b);
  vkCmdDispatch(cmd, groups, gy, 1);
  return vk_count(c, (int)id);
}

int vk_dispatch_groups(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t groups) {
  return dispatch(c, id, p, groups, 1, true);
}

int vk_dispatch_grid(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t gx, uint32_t gy) {
  return dispatch(c, id, p, gx, gy, true);
}

int vk_dispatch_ex(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint64_t count, bool barrier,
                   uint32_t max_groups) {
  uint32_t g = vk_groups_for(count);
  return count ? dispatch(c, id, p, max_groups && g > max_groups ? max_groups : g, 1, barrier) : 0;
}

int vk_dispatch(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint64_t count) {
  return vk_dispatch_ex(c, id, p, count, true, 0);
}

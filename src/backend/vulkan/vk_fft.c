/* Forward/inverse FFTs with VkFFT (the configure-time patched copy of Debian's 1.2.26 header).
 *
 * One rank: 2D R2C/C2R plans reading the input field chunk and writing the output field chunk
 * (isInputFormatted/isOutputFormatted) with the shared `work` buffer as VkFFT's internal buffer,
 * so the input of either direction is preserved and no copy is made. The spectral field keeps
 * VkFFT's native layout [kx column][ky = 0..N/2]. Offsets are given at launch (push constants in
 * VkFFT), so one plan serves every field of a chunk pair without touching a descriptor set; a
 * batch of neighbouring fields is one launch (numberBatches, batch stride = slot size).
 * Normalization: forward unnormalized, inverse 1/N^2 (VkFFT `normalize`), SPEC §2.
 *
 * Several ranks (slab layout of grid.h): batched 1D R2C along y on the local rows, pack, exchange,
 * unpack into ky-major rows, batched 1D C2C along x, copy into the fields; the inverse runs
 * backwards. The exchange (DASHI_VK_TRANSPOSE, transpose_init; transpose): where every rank of the
 * group is on one node and each device imports host memory (VK_EXT_external_memory_host), the
 * pack kernel writes each block straight into its receiver's part of one MPI shared-memory window
 * that every device has imported, and the receiver's unpack kernel reads its part, field by field
 * through two exchange buffers (the unpack of one field alongside the pack of the next): no copy
 * by the CPU, one barrier per field. Otherwise the pack writes a host-visible send buffer and
 * MPI_Alltoall moves all fields of the call at once to the receive buffers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "vk_internal.h"

/* Test only (DASHI_VK_FFT_SHARED_BYTES): VkFFT 1.2.26 takes its shared-memory budget from the
 * device limits (setConfigurationVkFFT overwrites sharedMemorySize/-Pow2 with
 * maxComputeSharedMemorySize; the configuration fields cannot lower it), so its calls to
 * vkGetPhysicalDeviceProperties, in this translation unit only, go through this wrapper, which
 * lowers the limit while a plan is made. Smaller shared memory = multi-pass (four-step) kernels
 * at small N, the code paths of N >= 16384 on real GPUs. */
static uint64_t vkfft_shared_limit;
static void dashi_vkfft_props(VkPhysicalDevice d, VkPhysicalDeviceProperties *p) {
  vkGetPhysicalDeviceProperties(d, p);
  if (vkfft_shared_limit && vkfft_shared_limit < p->limits.maxComputeSharedMemorySize)
    p->limits.maxComputeSharedMemorySize = (uint32_t)vkfft_shared_limit;
}
/* VkFFT's own device memory (its tables) counts in the backend's held bytes and against
 * DASHI_VK_MEMORY_BYTES like the backend's device buffers: its vkCreateBuffer, vkAllocateMemory
 * and vkFreeMemory go through these wrappers, which, while a plan of context vkfft_ctx is made,
 * count each device-local allocation (handle, size and context in vkfft_mem) until it is freed.
 * Its staging buffer (usage transfer source only, host-visible: alive while it uploads a table)
 * is host memory, as dashi's own staging buffer is, whatever the device's memory types (on
 * lavapipe every type is device-local) */
static vk_ctx *vkfft_ctx;
static VkDeviceSize vkfft_failed; /* the size of the allocation that did not fit, for the message */
static VkBufferUsageFlags
    vkfft_usage; /* of the buffer VkFFT made last (it allocates for it next) */
static struct {
  VkDeviceMemory m;
  VkDeviceSize size;
  vk_ctx *c;
} * vkfft_mem;
static int vkfft_nmem, vkfft_capmem;
static VkResult dashi_vkfft_buffer(VkDevice d, const VkBufferCreateInfo *bi,
                                   const VkAllocationCallbacks *cb, VkBuffer *buf) {
  vkfft_usage = bi->usage;
  return vkCreateBuffer(d, bi, cb, buf);
}
static VkResult dashi_vkfft_alloc(VkDevice d, const VkMemoryAllocateInfo *ai,
                                  const VkAllocationCallbacks *cb, VkDeviceMemory *m) {
  vk_ctx *c = vkfft_ctx;
  bool local = c && ai->memoryTypeIndex < c->memprops.memoryTypeCount &&
               (c->memprops.memoryTypes[ai->memoryTypeIndex].propertyFlags &
                VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
               vkfft_usage != VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
  if (local && vkfft_nmem == vkfft_capmem) { /* room for the record first: no untracked memory */
    int n = vkfft_capmem ? 2 * vkfft_capmem : 16;
    void *grown = realloc(vkfft_mem, (size_t)n * sizeof *vkfft_mem);
    if (!grown) return VK_ERROR_OUT_OF_HOST_MEMORY;
    vkfft_mem = grown, vkfft_capmem = n;
  }
  VkResult r = local && vk_over_cap(c, ai->allocationSize) ? VK_ERROR_OUT_OF_DEVICE_MEMORY
                                                           : vkAllocateMemory(d, ai, cb, m);
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY) vkfft_failed = ai->allocationSize;
  if (r != VK_SUCCESS || !local) return r;
  vkfft_mem[vkfft_nmem].m = *m, vkfft_mem[vkfft_nmem].size = ai->allocationSize;
  vkfft_mem[vkfft_nmem++].c = c;
  vk_hold(c, ai->allocationSize), c->vkfft_held += ai->allocationSize;
  return r;
}
static void dashi_vkfft_free(VkDevice d, VkDeviceMemory m, const VkAllocationCallbacks *cb) {
  for (int i = 0; i < vkfft_nmem; i++)
    if (vkfft_mem[i].m == m) {
      vkfft_mem[i].c->held -= vkfft_mem[i].size, vkfft_mem[i].c->vkfft_held -= vkfft_mem[i].size;
      vkfft_mem[i] = vkfft_mem[--vkfft_nmem];
      break;
    }
  if (!vkfft_nmem) free(vkfft_mem), vkfft_mem = NULL, vkfft_capmem = 0;
  vkFreeMemory(d, m, cb);
}
#define vkGetPhysicalDeviceProperties dashi_vkfft_props
#define vkAllocateMemory              dashi_vkfft_alloc
#define vkFreeMemory                  dashi_vkfft_free
#define vkCreateBuffer                dashi_vkfft_buffer
#include "vkFFT.h"
#undef vkGetPhysicalDeviceProperties
#undef vkAllocateMemory
#undef vkFreeMemory
#undef vkCreateBuffer

/* PLAN_ROWC2C: dashi-vkbench only, the library's C2C along y of N contiguous rows of length N */
typedef enum {
  PLAN_FWD2D,
  PLAN_INV2D,
  PLAN_R2C1D,
  PLAN_C2R1D,
  PLAN_C2C1D,
  PLAN_XC2C,
  PLAN_ROWC2C
} plan_kind;

struct vk_plan {
  plan_kind kind;
  int n, band; /* band > 0: zero-padded plan, modes |kx|, |ky| <= band only (PLAN_XC2C: columns) */
  const vk_chunk *rc, *sc;
  VkFFTApplication app;
  uint64_t in_size, out_size, buf_size, temp_size;
  vk_plan *next;
};

static const char *plan_name(plan_kind k) {
  static const char *n[] = {"2D R2C forward",         "2D C2R inverse",
                            "1D R2C along y",         "1D C2R along y",
                            "1D C2C along x",         "x pass (C2C along x, ky columns)",
                            "1D C2C along y (N rows)"};
  return n[k];
}

int vk_fft_version(void) {
  return VkFFTGetVersion();
}

/* The transform variant, chosen at run time (docs/vulkan.md):
 *   DASHI_VK_FFT=plain (default) | zeropad | zeropad_x | zeropad_y | zeropad_xy
 *     zeropad*: where the solver passes a band hint (2/3 dealiasing, backend.h fft_band_in/out),
 *     one-rank 2D plans skip the zero modes: the inverse reads only |kx|, |ky| <= N/3 and its kx
 *     pass runs only over the ky <= N/3 columns; the forward writes only those modes and its kx
 *     pass runs only over those columns (VkFFT frequencyZeroPadding); "x"/"y" restrict this to
 *     one axis; "zeropad" also lets spec_derive write the band only (zeropad_xy does not).
 *   fused: the solver's nonlinear products in one op (vk_rows.c): on one rank x passes over the
 *     band's columns (PLAN_XC2C), on several the slab transposes of the sources and products
 *     only, and one kernel for the y transforms and the products
 *   auto (default): fused where it can run (the row in shared memory), else plain
 *   DASHI_VK_FFT_TUNE=coalesced=B,threads=T,boost=R,bwboost=X  VkFFT's coalescedMemory,
 *     aimThreads, registerBoost, performBandwidthBoost (default: VkFFT's choice per device)
 *   DASHI_VK_FFT_SHARED_BYTES=B  test only: VkFFT plans as if the device had B bytes of shared
 *     memory (multi-pass kernels at small N)
 *   DASHI_VK_COPY=shader|transfer  the device copies of the distributed transforms as a compute
 *     pass (default) or by vkCmdCopyBuffer (measurements)
 *   DASHI_VK_XPIPE=on|off  transposes through node shared memory pipelined field by field
 *     (default) or all fields in one exchange (measurements)
 *   DASHI_VK_XGROUPS=G  at most G workgroups per pack/unpack dispatch (0: no cap; default 1024/P
 *     on P ranks, below) */
static int parse_variant(vk_ctx *c) {
  const char *v = getenv("DASHI_VK_FFT");
  if (!v || !*v) v = "auto";
  static const struct {
    const char *name;
    unsigned bits;
  } tab[] = {
      {"auto", VK_AUTO},      {"plain", 0},           {"zeropad", VK_ZP_X | VK_ZP_Y | VK_ZP_DERIVE},
      {"zeropad_x", VK_ZP_X}, {"zeropad_y", VK_ZP_Y}, {"zeropad_xy", VK_ZP_X | VK_ZP_Y},
      {"fused", VK_FUSED}};
  size_t i = 0, nt = sizeof tab / sizeof tab[0];
  while (i < nt && strcmp(v, tab[i].name)) i++;
  if (i == nt)
    return dashi_err(DASHI_ERR_USAGE,
                     "DASHI_VK_FFT=%s: expected auto, plain, fused, zeropad, zeropad_x, "
                     "zeropad_y or zeropad_xy",
                     v);
  c->fft_zeropad = tab[i].bits;
  int len = snprintf(c->fft_variant, sizeof c->fft_variant, "%s", tab[i].name);
  const char *t = getenv("DASHI_VK_FFT_TUNE");
  static const char *keys[4] = {"coalesced", "threads", "boost", "bwboost"};
  while (t && *t) {
    size_t k = 0, kl = strcspn(t, "=");
    while (k < 4 && (strlen(keys[k]) != kl || strncmp(t, keys[k], kl))) k++;
    char *end;
    unsigned long long x = k < 4 && t[kl] == '=' ? strtoull(t + kl + 1, &end, 10) : 0;
    if (k == 4 || !x || (*end && *end != ','))
      return dashi_err(DASHI_ERR_USAGE,
                       "DASHI_VK_FFT_TUNE=%s: expected a comma-separated list of coalesced=B, "
                       "threads=T, boost=R, bwboost=X (positive integers)",
                       getenv("DASHI_VK_FFT_TUNE"));
    c->fft_tune[k] = x;
    len +=
        snprintf(c->fft_variant + len, sizeof c->fft_variant - (size_t)len, "+%s=%llu", keys[k], x);
    t = *end ? end + 1 : end;
  }
  const char *xp = getenv("DASHI_VK_XPIPE");
  if (xp && *xp && strcmp(xp, "on") && strcmp(xp, "off"))
    return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_XPIPE=%s: expected on or off", xp);
  c->xpipe = !xp || !*xp || !strcmp(xp, "on");
  /* workgroups per pack/unpack dispatch: uncapped, one dispatch of a grid-stride kernel fills the
   * device and the pipelined pack and unpack take turns; 1024/P let the 2P dispatches of a step of
   * the pipeline share it (measured on H200s, fp32, ms/step, no cap / 256 / 512: N = 16384 on
   * 2 GPUs 263.7 / 224.7 / 214.6, on 4 GPUs 242.8 / 217.2 / 233.9; N = 32768 on 2 GPUs 1056.7 /
   * 952.3 / -) */
  c->xgroups = c->g->size > 1 ? 1024u / (uint32_t)c->g->size : 0;
  const char *xg = getenv("DASHI_VK_XGROUPS");
  if (xg && *xg) {
    char *end;
    unsigned long g = strtoul(xg, &end, 10);
    if (*end || g > VK_MAX_GROUPS)
      return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_XGROUPS=%s: expected 0 .. %u", xg, VK_MAX_GROUPS);
    c->xgroups = (uint32_t)g;
  }
  const char *cp = getenv("DASHI_VK_COPY");
  if (cp && *cp && strcmp(cp, "shader") && strcmp(cp, "transfer"))
    return dashi_err(DASHI_ERR_USAGE, "DASHI_VK_COPY=%s: expected shader or transfer", cp);
  c->copy_transfer = cp && !strcmp(cp, "transfer");
  DASHI_CALL(vk_env_bytes("DASHI_VK_FFT_SHARED_BYTES", 1024, 1, "bytes >= 1024", &c->fft_shared));
  if (c->fft_shared) {
    snprintf(c->fft_variant + len, sizeof c->fft_variant - (size_t)len, "+shared=%llu",
             (unsigned long long)c->fft_shared);
  }
  return 0;
}

const char *vk_fft_variant(const vk_ctx *c) {
  return c->fft_variant;
}

/* the node shared memory window of transpose_init (allocated with status win_rc) as the
 * receive buffers (segments of seg bytes from the first multiple of a), and the own block */
static int shm_attach(vk_ctx *c, int win_rc, MPI_Aint want, VkDeviceSize a, VkDeviceSize seg,
                      VkDeviceSize own) {
  const dashi_grid *g = c->g;
  if (win_rc != MPI_SUCCESS)
    return dashi_err(DASHI_ERR_IO,
                     "transposes through node shared memory: allocating %.1f GiB of node shared "
                     "memory failed (is /dev/shm that large?); use DASHI_VK_TRANSPOSE=mpi",
                     (double)want / 1073741824.0);
  void *base;
  MPI_Aint qsize;
  int disp;
  DASHI_MPI(MPI_Win_shared_query(c->xwin, 0, &qsize, &disp, &base));
  if (qsize < want)
    return dashi_err(DASHI_ERR_IO,
                     "transposes through node shared memory: the MPI window has %lld of %lld "
                     "bytes; use DASHI_VK_TRANSPOSE=mpi",
                     (long long)qsize, (long long)want);
  base = (char *)base + (a - (uintptr_t)base % a) % a;
  DASHI_CALL(vk_buffer_import(c, base, seg * g->size, &c->xshm,
                              "transpose (node shared memory; DASHI_VK_TRANSPOSE=mpi avoids it)"));
  c->xseg = seg;
  return vk_buffer_create(c, own + 256, false, &c->xself, "transpose (own block)");
}

/* DASHI_VK_TRANSPOSE: auto (default: shm where it can run, else mpi; fft_library says which), shm
 * (an error where it cannot), mpi. fbytes: one field's exchange (every rank's blocks); the
 * MPI_Alltoall buffers hold max_batch fields, the node's shared window two (the exchange buffers
 * of the pipelined transposes; max_batch with DASHI_VK_XPIPE=off) */
static int transpose_init(vk_ctx *c, VkDeviceSize fbytes) {
  const dashi_grid *g = c->g;
  const char *v = getenv("DASHI_VK_TRANSPOSE");
  if (!v || !*v) v = "auto";
  VK_AGREE(c,
           strcmp(v, "auto") && strcmp(v, "shm") && strcmp(v, "mpi")
               ? dashi_err(DASHI_ERR_USAGE, "DASHI_VK_TRANSPOSE=%s: expected auto, shm or mpi", v)
               : 0);
  MPI_Comm node;
  int nsize;
  DASHI_MPI(MPI_Comm_split_type(g->comm, MPI_COMM_TYPE_SHARED, g->rank, MPI_INFO_NULL, &node));
  DASHI_MPI(MPI_Comm_size(node, &nsize));
  DASHI_MPI(MPI_Comm_free(&node));
  /* every rank must take the same way: 0 where a device cannot import, where a rank asks for
   * mpi, where a rank does not pipeline (DASHI_VK_XPIPE=off on any rank: on none) */
  long long al = c->host_import && c->import_align ? (long long)c->import_align : 0;
  long long loc3[3] = {al, strcmp(v, "mpi") != 0, c->xpipe}, mn[3];
  DASHI_MPI(MPI_Allreduce(loc3, mn, 3, MPI_LONG_LONG, MPI_MIN, g->comm));
  c->xpipe = mn[2] != 0;
  const char *why = nsize != g->size ? "the ranks of the LES group are on several nodes"
                    : !mn[0]         ? "a rank's Vulkan device cannot import host memory "
                                       "(VK_EXT_external_memory_host)"
                    : !mn[1] && strcmp(v, "mpi") ? "another rank has DASHI_VK_TRANSPOSE=mpi"
                                                 : NULL;
  VK_AGREE(c, why && !strcmp(v, "shm")
                  ? dashi_err(DASHI_ERR_USAGE,
                              "DASHI_VK_TRANSPOSE=shm: %s; use DASHI_VK_TRANSPOSE=mpi", why)
                  : 0);
  if (why || !mn[1]) {
    VkDeviceSize xbytes = fbytes * (VkDeviceSize)c->max_batch;
    int rc = vk_buffer_create(c, xbytes, true, &c->send, "transpose send");
    if (!rc) rc = vk_buffer_create(c, xbytes, true, &c->recv, "transpose receive");
    return dashi_err_agree(g->comm, rc);
  }
  /* the largest alignment; each rank's receive buffers: 2 fields, or the batch (the same on every
   * rank: xpipe and max_batch are agreed) */
  long long amax, nw = c->xpipe ? 2 : c->max_batch;
  DASHI_MPI(MPI_Allreduce(&al, &amax, 1, MPI_LONG_LONG, MPI_MAX, g->comm));
  VkDeviceSize a = amax < 4096 ? 4096 : (VkDeviceSize)amax,
               seg = ((VkDeviceSize)nw * fbytes + a - 1) / a * a;
  void *mine;
  /* one contiguous window, all of it on rank 0's side, from its first multiple of the alignment
   * on (the window need not start at one): rank q receives at that start + q seg */
  MPI_Aint want = (MPI_Aint)(seg * g->size + a);
  /* a failed allocation (node shared memory, /dev/shm, too small) is reported, not fatal */
  MPI_Errhandler eh;
  DASHI_MPI(MPI_Comm_get_errhandler(g->comm, &eh));
  DASHI_MPI(MPI_Comm_set_errhandler(g->comm, MPI_ERRORS_RETURN));
  int rc = MPI_Win_allocate_shared(g->rank ? 0 : want, 1, MPI_INFO_NULL, g->comm, &mine, &c->xwin);
  DASHI_MPI(MPI_Comm_set_errhandler(g->comm, eh));
  DASHI_MPI(MPI_Errhandler_free(&eh));
  return dashi_err_agree(
      g->comm, shm_attach(c, rc, want, a, seg, (VkDeviceSize)nw * fbytes / (VkDeviceSize)g->size));
}

const char *vk_fft_transport(const vk_ctx *c) {
  return c->xshm.buf ? "transposes through node shared memory"
                     : "MPI_Alltoall transposes via host staging";
}

/* VkFFT's compiler and the work buffers */
static int fft_buffers(vk_ctx *c, VkDeviceSize per) {
  const dashi_grid *g = c->g;
  if (!glslang_initialize_process())
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan backend: glslang (VkFFT's shader compiler) failed "
                                       "to initialize");
  c->glslang_ready = true;
  DASHI_CALL(vk_buffer_create(c, per * c->max_batch, false, &c->work, "FFT work"));
  /* VkFFT's temporary buffer for multi-pass (four-step) transforms of large N, shared by every
   * plan (VkFFT would otherwise allocate one per plan) */
  DASHI_CALL(vk_buffer_create(c, per * c->max_batch, false, &c->temp, "FFT temporary"));
  if (g->size > 1) {
    VkDeviceSize cs = 2 * c->rsize, kbytes = (VkDeviceSize)g->nky * g->N * cs * c->max_batch;
    DASHI_CALL(vk_buffer_create(c, kbytes, false, &c->work_k, "FFT work (ky rows)"));
  }
  return 0;
}

int vk_fft_init(vk_ctx *c) {
  const dashi_grid *g = c->g;
  VK_AGREE(c, parse_variant(c));
  VkDeviceSize cs = 2 * c->rsize, H1 = (VkDeviceSize)g->N / 2 + 1;
  VkDeviceSize per = g->size == 1 ? (VkDeviceSize)g->N * H1 * cs : (VkDeviceSize)g->nx * H1 * cs;
  VkDeviceSize fit = c->max_range / per;
  c->max_batch = fit < VK_MAX_BATCH ? (int)fit : VK_MAX_BATCH;
  /* the ranks of one transform batch alike (their exchanges must match): the smallest */
  if (g->size > 1)
    DASHI_MPI(MPI_Allreduce(MPI_IN_PLACE, &c->max_batch, 1, MPI_INT, MPI_MIN, g->comm));
  if (c->max_batch < 1 && fit >= 1)
    return dashi_err_other(DASHI_ERR_DEVICE,
                           "Vulkan device %d '%s': another rank's device cannot hold one field of "
                           "the FFT work area of N=%d (that rank's error names its sizes)",
                           c->device_index, c->device_name, g->N);
  if (c->max_batch < 1)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s': the FFT work area of N=%d holds one field of %.1f "
                     "MiB per rank, more than the largest buffer the device allows (%.1f MiB); "
                     "run on more ranks, one GPU each (a rank holds N/ranks rows)%s",
                     c->device_index, c->device_name, g->N, per / 1048576.0,
                     c->max_range / 1048576.0, c->f64 ? ", or with -precision single" : "");
  VK_AGREE(c, fft_buffers(c, per));
  if (g->size > 1) DASHI_CALL(transpose_init(c, (VkDeviceSize)g->nx * (g->N / 2) * cs));
  return 0;
}

void vk_fft_destroy(vk_ctx *c) {
  for (vk_plan *p = c->plans, *nx; p; p = nx) {
    nx = p->next;
    deleteVkFFT(&p->app);
    free(p);
  }
  c->plans = NULL;
  /* every VkFFT allocation counted to c was freed with its plan (the tests look for this line) */
  if (c->vkfft_held)
    fprintf(stderr,
            "dashi: internal error: %llu bytes of VkFFT's memory still counted after its plans "
            "were deleted\n",
            (unsigned long long)c->vkfft_held);
  vk_buffer_destroy(c, &c->work);
  vk_buffer_destroy(c, &c->temp);
  vk_buffer_destroy(c, &c->work_k);
  vk_buffer_destroy(c, &c->send);
  vk_buffer_destroy(c, &c->recv);
  vk_buffer_destroy(c, &c->xshm);
  vk_buffer_destroy(c, &c->xself);
  if (c->xwin != MPI_WIN_NULL && c->xwin) MPI_Win_free(&c->xwin);
  if (c->glslang_ready) glslang_finalize_process();
  c->glslang_ready = false;
}

static int make_plan(vk_ctx *c, plan_kind kind, int n, int band, const vk_chunk *rc,
                     const vk_chunk *sc, vk_plan **out) {
  const dashi_grid *g = c->g;
  uint64_t N = (uint64_t)g->N, H1 = N / 2 + 1, rs = c->rsize, cs = 2 * rs;
  vk_plan *p = calloc(1, sizeof *p);
  p->kind = kind, p->n = n, p->band = band, p->rc = rc, p->sc = sc;
  VkFFTConfiguration f = {0};
  f.physicalDevice = &c->phys;
  f.device = &c->dev;
  f.queue = &c->queue;
  f.commandPool = &c->pool;
  f.fence = &c->plan_fence;
  f.isCompilerInitialized = 1;
  f.doublePrecision = c->f64;
  /* twiddle factors from a precomputed table in single precision too: VkFFT's default on-the-fly
   * sin/cos in fp32 (native, approximate on NVIDIA) doubled the error against FFTW's fp32 */
  f.useLUT = 1;
  f.specifyOffsetsAtLaunch = 1;
  f.size[0] = N;
  p->buf_size = kind == PLAN_C2C1D ? c->work_k.size : c->work.size;
  f.buffer = kind == PLAN_C2C1D ? &c->work_k.buf : &c->work.buf;
  f.bufferSize = &p->buf_size;
  p->temp_size = c->temp.size; /* >= work_k too: nx (N/2+1) >= nky N */
  f.userTempBuffer = 1;
  f.tempBuffer = &c->temp.buf;
  f.tempBufferSize = &p->temp_size;
  if (kind == PLAN_FWD2D || kind == PLAN_INV2D) {
    uint64_t rslot = rc->slot_bytes / rs, sslot = sc->slot_bytes / cs;
    const vk_chunk *in = kind == PLAN_FWD2D ? rc : sc, *outc = kind == PLAN_FWD2D ? sc : rc;
    f.FFTdim = 2;
    f.size[1] = N;
    f.performR2C = 1;
    f.numberBatches = (uint64_t)n;
    f.bufferStride[0] = H1, f.bufferStride[1] = N * H1, f.bufferStride[2] = N * H1;
    f.isInputFormatted = 1;
    f.isOutputFormatted = 1;
    p->in_size = in->b.size, p->out_size = outc->b.size;
    f.inputBuffer = (VkBuffer *)&in->b.buf;
    f.outputBuffer = (VkBuffer *)&outc->b.buf;
    f.inputBufferSize = &p->in_size;
    f.outputBufferSize = &p->out_size;
    uint64_t rstr[3] = {N, N * N, rslot}, sstr[3] = {H1, N * H1, sslot};
    memcpy(f.inputBufferStride, kind == PLAN_FWD2D ? rstr : sstr, sizeof rstr);
    memcpy(f.outputBufferStride, kind == PLAN_FWD2D ? sstr : rstr, sizeof rstr);
    if (kind == PLAN_FWD2D)
      f.makeForwardPlanOnly = 1;
    else
      f.makeInversePlanOnly = 1, f.normalize = 1;
    if (band > 0) {
      /* zero block in the frequency domain: the inverse does not read it, the forward does not
       * write it; the kx (axis 1) pass skips whole ky columns of the block (VkFFT's "full"
       * zero padding of axis 0) */
      f.frequencyZeroPadding = 1;
      if (c->fft_zeropad & VK_ZP_Y) {
        f.performZeropadding[0] = 1;
        f.fft_zeropad_left[0] = (uint64_t)band + 1, f.fft_zeropad_right[0] = H1;
      }
      if (c->fft_zeropad & VK_ZP_X) {
        f.performZeropadding[1] = 1;
        f.fft_zeropad_left[1] = (uint64_t)band + 1, f.fft_zeropad_right[1] = N - (uint64_t)band;
      }
    }
  } else if (kind == PLAN_R2C1D || kind == PLAN_C2R1D) {
    /* the real rows are the formatted input (forward) or output (inverse); the complex rows
     * [f][i][ky] live in `work` */
    f.FFTdim = 1;
    f.performR2C = 1;
    f.numberBatches = (uint64_t)g->nx;
    f.bufferStride[0] = f.bufferStride[1] = f.bufferStride[2] = H1;
    p->in_size = rc->b.size;
    if (kind == PLAN_R2C1D) {
      f.isInputFormatted = 1;
      f.inputBuffer = (VkBuffer *)&rc->b.buf;
      f.inputBufferSize = &p->in_size;
      f.inputBufferStride[0] = f.inputBufferStride[1] = f.inputBufferStride[2] = N;
      f.makeForwardPlanOnly = 1;
    } else {
      f.isOutputFormatted = 1;
      f.outputBuffer = (VkBuffer *)&rc->b.buf;
      f.outputBufferSize = &p->in_size;
      f.outputBufferStride[0] = f.outputBufferStride[1] = f.outputBufferStride[2] = N;
      f.makeInversePlanOnly = 1;
      f.normalize = 1;
    }
  } else if (kind == PLAN_XC2C) {
    /* in place on the spectral chunk: the forward C2C along x (axis 1, stride N/2+1) of the
     * columns ky = 0..band-1 of n neighbouring fields; the y axis is not transformed */
    f.FFTdim = 2;
    f.size[0] = (uint64_t)band;
    f.size[1] = N;
    f.omitDimension[0] = 1;
    f.numberBatches = (uint64_t)n;
    f.bufferStride[0] = H1, f.bufferStride[1] = N * H1, f.bufferStride[2] = sc->slot_bytes / cs;
    p->buf_size = sc->b.size;
    f.buffer = (VkBuffer *)&sc->b.buf;
    f.makeForwardPlanOnly = 1;
    /* 64-byte coalescing: 2.94 against 3.06 ms/step at N = 4096 fp32 on an H200 (no change at
     * 8192); DASHI_VK_FFT_TUNE overrides it */
    f.coalescedMemory = 64;
  } else if (kind == PLAN_ROWC2C) {
    /* in place in `work` (N rows of N complex values: two fields' room, max_batch >= 2) */
    f.FFTdim = 1;
    f.numberBatches = N;
    f.bufferStride[0] = f.bufferStride[1] = f.bufferStride[2] = N;
    f.makeForwardPlanOnly = 1;
  } else {
    f.FFTdim = 1;
    f.numberBatches = (uint64_t)g->nky;
    f.bufferStride[0] = f.bufferStride[1] = f.bufferStride[2] = N;
    f.normalize = 1;
  }
  if (c->fft_tune[0]) f.coalescedMemory = c->fft_tune[0];
  if (c->fft_tune[1]) f.aimThreads = c->fft_tune[1];
  if (c->fft_tune[2]) f.registerBoost = c->fft_tune[2];
  if (c->fft_tune[3]) f.performBandwidthBoost = c->fft_tune[3];
  vkfft_shared_limit = c->fft_shared;
  vkfft_ctx = c, vkfft_failed = 0;
  VkFFTResult r = initializeVkFFT(&p->app, f);
  vkfft_ctx = NULL, vkfft_shared_limit = 0;
  if (r != VKFFT_SUCCESS) {
    free(p);
    if (vkfft_failed && r == VKFFT_ERROR_FAILED_TO_ALLOCATE_MEMORY) {
      char stage[160];
      snprintf(stage, sizeof stage, "in VkFFT, making the %s plan (VkFFT error %d)",
               plan_name(kind), (int)r);
      return vk_out_of_memory(c, stage, vkfft_failed);
    }
    return dashi_err(
        DASHI_ERR_DEVICE,
        "Vulkan device %d '%s': VkFFT could not make the %s plan (N=%d, batch %d, %s): "
        "VkFFT error %d",
        c->device_index, c->device_name, plan_name(kind), g->N, n, c->f64 ? "double" : "single",
        (int)r);
  }
  VkFFTPlan *fp = p->app.localFFTPlan ? p->app.localFFTPlan : p->app.localFFTPlan_inverse;
  if (band > 0 && kind != PLAN_XC2C) {
    /* VkFFT 1.2.26's zero padding is wrong when an axis takes several passes (found with
     * DASHI_VK_FFT_SHARED_BYTES on lavapipe: relative errors O(1)): such sizes use the plain
     * plans, and spec_derive then writes every mode (vk_fft_band_usable) */
    bool multi = !fp || fp->numAxisUploads[0] > 1 || fp->numAxisUploads[1] > 1;
    c->fft_band_probe = multi ? -1 : 1;
    if (multi) {
      deleteVkFFT(&p->app);
      free(p);
      return make_plan(c, kind, n, 0, rc, sc, out);
    }
  }
  if (c->fft_shared) { /* test only: show that the lowered limit made multi-pass kernels */
    if (fp)
      fprintf(stderr,
              "dashi: VkFFT %s plan N=%d batch %d with %llu bytes of shared memory: "
              "%llu/%llu passes (axis 0/1)\n",
              plan_name(kind), g->N, n, (unsigned long long)c->fft_shared,
              (unsigned long long)fp->numAxisUploads[0], (unsigned long long)fp->numAxisUploads[1]);
  }
  p->next = c->plans;
  c->plans = p;
  *out = p;
  return 0;
}

static int get_plan(vk_ctx *c, plan_kind kind, int n, int band, const vk_chunk *rc,
                    const vk_chunk *sc, vk_plan **out) {
  for (vk_plan *p = c->plans; p; p = p->next)
    if (p->kind == kind && p->n == n && p->band == band && p->rc == rc && p->sc == sc)
      return *out = p, 0;
  return make_plan(c, kind, n, band, rc, sc, out);
}

/* the band of a one-rank 2D transform under the solver's hint (0: the plain plan) */
static int plan_band(const vk_ctx *c, int hint) {
  return c->g->size == 1 && (c->fft_zeropad & (VK_ZP_X | VK_ZP_Y)) && hint > 0 &&
                 3 * hint <= c->g->N && c->fft_band_probe >= 0
             ? hint
             : 0;
}

int vk_fft_band_usable(vk_ctx *c, int hint, const vk_chunk *spec) {
  int band = plan_band(c, hint);
  if (band && !c->fft_band_probe) { /* a zero-padded plan decides (never launched) */
    vk_plan *p;
    int rc = get_plan(c, PLAN_INV2D, 1, band, spec, spec, &p);
    if (rc) return -rc;
  }
  return plan_band(c, hint);
}

static int launch(vk_ctx *c, vk_plan *p, int inverse, uint64_t buf_off, uint64_t in_off,
                  uint64_t out_off) {
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, false);
  VkFFTLaunchParams lp = {0};
  lp.commandBuffer = &cmd;
  lp.bufferOffset = buf_off;
  lp.inputBufferOffset = in_off;
  lp.outputBufferOffset = out_off;
  VkFFTResult r = VkFFTAppend(&p->app, inverse, &lp);
  if (r != VKFFT_SUCCESS)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s': VkFFT %s launch (N=%d) failed: "
                     "VkFFT error %d",
                     c->device_index, c->device_name, plan_name(p->kind), c->g->N, (int)r);
  return vk_count(c, inverse == 1 ? PROF_FFT_INV : PROF_FFT_FWD);
}

/* length of the run of fields from i on that are slot neighbours in one chunk, in both lists */
static int run_length(const vk_ctx *c, int n, dashi_field *const *a, dashi_field *const *b, int i) {
  int len = 1;
  while (i + len < n && len < c->max_batch) {
    const vk_field *a0 = VKF(a[i]), *b0 = VKF(b[i]), *an = VKF(a[i + len]), *bn = VKF(b[i + len]);
    if (an->chunk != a0->chunk || bn->chunk != b0->chunk || an->slot != a0->slot + len ||
        bn->slot != b0->slot + len)
      break;
    len++;
  }
  return len;
}

/* band > 0: only the modes |kx|, |ky| <= band are written (the Nyquist modes lie outside) */
static int forward_2d(vk_ctx *c, int n, dashi_field *const *real, dashi_field *const *spec,
                      int band) {
  for (int i = 0; i < n;) {
    int len = run_length(c, n, real, spec, i);
    const vk_field *r = VKF(real[i]), *s = VKF(spec[i]);
    vk_plan *p;
    DASHI_CALL(get_plan(c, PLAN_FWD2D, len, band, r->chunk, s->chunk, &p));
    DASHI_CALL(launch(c, p, -1, 0, r->offset, s->offset));
    if (!p->band) DASHI_CALL(vk_zero_nyquist(c, s->addr, len, s->chunk->slot_bytes));
    i += len;
  }
  return 0;
}

/* band > 0: the modes outside |kx|, |ky| <= band are taken as zero (not read) */
static int inverse_2d(vk_ctx *c, int n, dashi_field *const *spec, dashi_field *const *real,
                      int band) {
  for (int i = 0; i < n;) {
    int len = run_length(c, n, real, spec, i);
    const vk_field *r = VKF(real[i]), *s = VKF(spec[i]);
    vk_plan *p;
    DASHI_CALL(get_plan(c, PLAN_INV2D, len, band, r->chunk, s->chunk, &p));
    DASHI_CALL(launch(c, p, 1, 0, s->offset, r->offset));
    i += len;
  }
  return 0;
}

/* exchange statistics of this process (bench/vk_bench.c): seconds in MPI_Alltoall, bytes sent */
static double a2a_seconds, a2a_bytes;
static long a2a_calls;

void dashi_vulkan_transpose_stats(double *seconds, double *bytes, long *calls, bool reset) {
  if (seconds) *seconds = a2a_seconds;
  if (bytes) *bytes = a2a_bytes;
  if (calls) *calls = a2a_calls;
  if (reset) a2a_seconds = a2a_bytes = 0, a2a_calls = 0;
}

/* this rank's GPU work done, then every rank's */
static int sync_all(vk_ctx *c) {
  DASHI_CALL(vk_sync(c));
  DASHI_MPI(MPI_Barrier(c->g->comm));
  return 0;
}

/* the exchange between pack and unpack: MPI_Alltoall of the send buffer; or, through node shared
 * memory, wait until every rank's pack has written its blocks (the pack is already recorded; the
 * time counted then includes the pack kernel, which moves the data) */
static int exchange(vk_ctx *c, int nf) {
  const dashi_grid *g = c->g;
  double t0 = MPI_Wtime();
  if (!c->xshm.buf) {
    DASHI_CALL(vk_sync(c));
    t0 = MPI_Wtime();
  }
  int cnt = 2 * nf * g->nx * g->nky;
  PetscLogEventBegin(dashi_ev_transpose, 0, 0, 0, 0);
  if (c->xshm.buf)
    DASHI_CALL(sync_all(c));
  else
    DASHI_MPI(MPI_Alltoall(c->send.map, cnt, c->f64 ? MPI_DOUBLE : MPI_FLOAT, c->recv.map, cnt,
                           c->f64 ? MPI_DOUBLE : MPI_FLOAT, g->comm));
  a2a_seconds += MPI_Wtime() - t0;
  a2a_bytes += (double)cnt * (c->f64 ? 8 : 4) * (g->size - 1); /* to the other ranks */
  a2a_calls++;
  PetscLogEventEnd(dashi_ev_transpose, 0, 0, 0, 0);
  return 0;
}

/* through node shared memory, where the block of blk values from rank `from` to rank `to` lies
 * in exchange buffer h (the pipelined fields alternate between buffers 0 and 1): in the window,
 * `to`'s receive buffer h at `from`'s place; from a rank to itself, on the device */
static VkDeviceAddress block_addr(const vk_ctx *c, uint64_t from, uint64_t to, uint64_t blk,
                                  uint64_t h) {
  uint64_t bb = blk * 2 * c->rsize;
  return from == to ? c->xself.addr + h * bb
                    : c->xshm.addr + to * c->xseg + (h * (uint64_t)c->g->size + from) * bb;
}

static void pc_transpose(vk_pc *p, const vk_ctx *c, VkDeviceAddress src, VkDeviceAddress dst,
                         int nf, uint32_t last, uint64_t total, uint64_t t0) {
  pc_init(p, c);
  pc_addr(p, src);
  pc_addr(p, dst);
  pc_u32(p, (uint32_t)nf);
  pc_u32(p, (uint32_t)c->g->nx);
  pc_u32(p, (uint32_t)c->g->nky);
  pc_u32(p, last);
  pc_u32(p, (uint32_t)total);
  pc_u32(p, (uint32_t)t0);
}

/* through node shared memory, one dispatch per peer q of exchange buffer h: the pack (pipeline
 * id, send) of nf fields from `field` into this rank's block for receiver q, or the unpack of
 * sender q's block for this rank into `field` (this rank's own block from the device; measured at
 * N = 16384 on 2 H200s: the packs and unpacks move ~50 GB/s over PCIe and were 82% of the step,
 * half of it this rank's own block). Each block's address is computed here in 64 bits (a shader's
 * 32-bit index times 8 bytes must stay below 4 GiB: measured on H200s, one dispatch over the whole
 * window at N = 16384 corrupted the blocks past it). `barrier`: after the work recorded before
 * (else alongside it); `fill` (unpack): the last dispatch also zeroes the Nyquist entries
 * (tr_inv_unpack) */
static int shm_blocks(vk_ctx *c, vk_pipe_id id, bool send, VkDeviceAddress field, int nf,
                      uint32_t last, uint64_t h, bool barrier, bool fill) {
  uint64_t P = (uint64_t)c->g->size, me = (uint64_t)c->g->rank;
  uint64_t blk = (uint64_t)nf * c->g->nx * c->g->nky;
  vk_pc p;
  for (uint64_t q = 0; q < P; q++) {
    VkDeviceAddress b = send ? block_addr(c, me, q, blk, h) : block_addr(c, q, me, blk, h);
    uint32_t f = fill && q + 1 == P ? (uint32_t)nf * (uint32_t)c->g->nx : 0;
    pc_transpose(&p, c, send ? field : b, send ? b : field, nf, last, blk, q * blk);
    if (!send) pc_u32(&p, f);
    DASHI_CALL(vk_dispatch_ex(c, id, &p, blk + f, barrier && !q, c->xgroups));
  }
  return 0;
}

/* nf fields from src (field stride sstride bytes; pack pipeline pk, row length plast) to dst
 * (dstride; unpack pipeline up, ulast; fill: zero the Nyquist entries). Through node shared
 * memory field by field, pipelined: while one field is unpacked (host to device) the next is
 * packed (device to host) into the other exchange buffer, the dispatches capped at xgroups
 * workgroups so that both fit on the device (measured on 4 H200s, fp32, against all fields in one
 * exchange: 3-5% less per step at N = 16384 and 32768 on 2 and 4 GPUs uncapped, 10-19% less again
 * with the cap). By MPI_Alltoall, or with DASHI_VK_XPIPE=off, all fields in one exchange (the
 * fields contiguous at the shaders' strides) */
static int transpose(vk_ctx *c, vk_pipe_id pk, VkDeviceAddress src, uint64_t sstride,
                     uint32_t plast, vk_pipe_id up, VkDeviceAddress dst, uint64_t dstride,
                     uint32_t ulast, int nf, bool fill) {
  const dashi_grid *g = c->g;
  if (c->xshm.buf) {
    /* the other ranks have unpacked the previous exchange out of both buffers */
    DASHI_CALL(sync_all(c));
    if (!c->xpipe) {
      DASHI_CALL(shm_blocks(c, pk, true, src, nf, plast, 0, true, false));
      DASHI_CALL(exchange(c, nf));
      return shm_blocks(c, up, false, dst, nf, ulast, 0, true, fill);
    }
    DASHI_CALL(shm_blocks(c, pk, true, src, 1, plast, 0, true, false));
    for (int f = 0; f < nf; f++) {
      DASHI_CALL(exchange(c, 1)); /* every rank's pack of field f done, the unpack of f-1 too */
      DASHI_CALL(shm_blocks(c, up, false, dst + (uint64_t)f * dstride, 1, ulast, (uint64_t)f % 2,
                            true, fill));
      if (f + 1 < nf)
        DASHI_CALL(shm_blocks(c, pk, true, src + (uint64_t)(f + 1) * sstride, 1, plast,
                              (uint64_t)(f + 1) % 2, false, false));
    }
    return 0;
  }
  uint64_t total = (uint64_t)g->size * nf * g->nx * g->nky;
  uint32_t nyq = fill ? (uint32_t)nf * (uint32_t)g->nx : 0;
  vk_pc p;
  pc_transpose(&p, c, src, c->send.addr, nf, plast, total, 0);
  DASHI_CALL(vk_dispatch(c, pk, &p, total));
  DASHI_CALL(exchange(c, nf));
  pc_transpose(&p, c, c->recv.addr, dst, nf, ulast, total, 0);
  pc_u32(&p, nyq);
  return vk_dispatch(c, up, &p, total + nyq);
}

/* n fields of x rows [f][i][ky] (row stride N/2+1) at `rows` into spec: transposed into the
 * ky rows of work_k, transformed forward along x, copied into the fields (Nyquist zeroed unless
 * `band`: the band's modes only are read) */
static int rows_to_slab(vk_ctx *c, int nf, VkDeviceAddress rows, dashi_field *const *spec,
                        bool band) {
  const dashi_grid *g = c->g;
  uint64_t cs = 2 * c->rsize, H1 = (uint64_t)g->N / 2 + 1, krow = (uint64_t)g->nky * g->N * cs;
  DASHI_CALL(transpose(c, PIPE_TR_FWD_PACK, rows, g->nx * H1 * cs, (uint32_t)H1, PIPE_TR_FWD_UNPACK,
                       c->work_k.addr, krow, (uint32_t)g->N, nf, false));
  vk_plan *cx;
  DASHI_CALL(get_plan(c, PLAN_C2C1D, 1, 0, NULL, NULL, &cx));
  for (int f = 0; f < nf; f++) {
    const vk_field *s = VKF(spec[f]);
    DASHI_CALL(launch(c, cx, -1, f * krow, 0, 0));
    DASHI_CALL(vk_copy_words(c, &c->work_k, f * krow, &s->chunk->b, s->offset, krow));
    if (!band) DASHI_CALL(vk_zero_nyquist(c, s->addr, 1, s->chunk->slot_bytes));
  }
  return 0;
}

/* n fields of ky rows [f][a][x] in work_k (transformed along x) into the x rows [f][i][ky] of
 * work (row stride N/2+1, the Nyquist entries zero) */
static int slab_to_rows(vk_ctx *c, int nf) {
  const dashi_grid *g = c->g;
  uint64_t cs = 2 * c->rsize, H1 = (uint64_t)g->N / 2 + 1;
  return transpose(c, PIPE_TR_INV_PACK, c->work_k.addr, (uint64_t)g->nky * g->N * cs,
                   (uint32_t)g->N, PIPE_TR_INV_UNPACK, c->work.addr, g->nx * H1 * cs, (uint32_t)H1,
                   nf, true);
}

static int forward_slab(vk_ctx *c, int nf, dashi_field *const *real, dashi_field *const *spec) {
  const dashi_grid *g = c->g;
  uint64_t xrow = (uint64_t)g->nx * (g->N / 2 + 1) * 2 * c->rsize;
  for (int f = 0; f < nf; f++) {
    const vk_field *r = VKF(real[f]);
    vk_plan *pl;
    DASHI_CALL(get_plan(c, PLAN_R2C1D, 1, 0, r->chunk, NULL, &pl));
    DASHI_CALL(launch(c, pl, -1, f * xrow, r->offset, 0));
  }
  return rows_to_slab(c, nf, c->work.addr, spec, false);
}

static int inverse_slab(vk_ctx *c, int nf, dashi_field *const *spec, dashi_field *const *real) {
  const dashi_grid *g = c->g;
  uint64_t cs = 2 * c->rsize, H1 = (uint64_t)g->N / 2 + 1;
  uint64_t xrow = (uint64_t)g->nx * H1 * cs, krow = (uint64_t)g->nky * g->N * cs;
  vk_plan *cx;
  DASHI_CALL(get_plan(c, PLAN_C2C1D, 1, 0, NULL, NULL, &cx));
  /* VkFFT 1.2.26's inverse 1D transforms launched at a buffer offset gave wrong results for
   * fields beyond the first when the transform is multi-pass (measured on H200s at N = 16384:
   * batch fields 1..5 off by factors 8^f). Every inverse launch therefore runs at offset 0: fields
   * 1..nf-1 go through slot 0 and are copied to their slot, field 0 goes last. */
  for (int k = 1; k <= nf; k++) {
    int f = k % nf;
    const vk_field *s = VKF(spec[f]);
    DASHI_CALL(vk_copy_words(c, &s->chunk->b, s->offset, &c->work_k, 0, krow));
    DASHI_CALL(launch(c, cx, 1, 0, 0, 0));
    if (f) DASHI_CALL(vk_copy_words(c, &c->work_k, 0, &c->work_k, f * krow, krow));
  }
  DASHI_CALL(slab_to_rows(c, nf));
  for (int f = 0; f < nf; f++) { /* offset 0 again (see above): field f is moved to slot 0 */
    const vk_field *r = VKF(real[f]);
    vk_plan *pl;
    DASHI_CALL(get_plan(c, PLAN_C2R1D, 1, 0, r->chunk, NULL, &pl));
    if (f) DASHI_CALL(vk_copy_words(c, &c->work, f * xrow, &c->work, 0, xrow));
    DASHI_CALL(launch(c, pl, 1, 0, 0, r->offset));
  }
  return 0;
}

int vk_fft_rows_in(vk_ctx *c, int n) {
  if (n > c->max_batch)
    return dashi_err(DASHI_ERR_USAGE, "vk_fft_rows_in: %d fields, the work area holds %d", n,
                     c->max_batch);
  uint64_t krow = (uint64_t)c->g->nky * c->g->N * 2 * c->rsize;
  vk_plan *cx;
  DASHI_CALL(get_plan(c, PLAN_C2C1D, 1, 0, NULL, NULL, &cx));
  for (int f = 0; f < n; f++) DASHI_CALL(launch(c, cx, -1, f * krow, 0, 0));
  return slab_to_rows(c, n);
}

int vk_fft_rows_out(vk_ctx *c, int n, VkDeviceAddress rows, dashi_field *const *spec, bool band) {
  if (n > c->max_batch)
    return dashi_err(DASHI_ERR_USAGE, "vk_fft_rows_out: %d fields, the work area holds %d", n,
                     c->max_batch);
  return rows_to_slab(c, n, rows, spec, band);
}

int vk_fft_xpass(vk_ctx *c, int n, dashi_field *const *f, uint32_t cols) {
  for (int i = 0; i < n;) {
    int len = run_length(c, n, f, f, i);
    const vk_field *s = VKF(f[i]);
    vk_plan *p;
    DASHI_CALL(get_plan(c, PLAN_XC2C, len, (int)cols, NULL, s->chunk, &p));
    DASHI_CALL(launch(c, p, -1, s->offset, 0, 0));
    i += len;
  }
  return 0;
}

int vk_fft_forward(dashi_backend *b, int n, dashi_field *const *real, dashi_field *const *spec) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  if (c->g->size == 1) return forward_2d(c, n, real, spec, plan_band(c, b->fft_band_out));
  for (int i = 0; i < n; i += c->max_batch)
    DASHI_CALL(forward_slab(c, n - i < c->max_batch ? n - i : c->max_batch, real + i, spec + i));
  return 0;
}

int vk_fft_inverse(dashi_backend *b, int n, dashi_field *const *spec, dashi_field *const *real) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  if (c->g->size == 1) return inverse_2d(c, n, spec, real, plan_band(c, b->fft_band_in));
  for (int i = 0; i < n; i += c->max_batch)
    DASHI_CALL(inverse_slab(c, n - i < c->max_batch ? n - i : c->max_batch, spec + i, real + i));
  return 0;
}

/* GPU time of reps launches of plan p (direction dir: -1 forward, 1 inverse) in one command
 * buffer, between two timestamps: the mean in ms */
static int time_plan(vk_ctx *c, vk_plan *p, int dir, uint64_t in_off, uint64_t out_off, int reps,
                     double *ms) {
  VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                              .queryType = VK_QUERY_TYPE_TIMESTAMP,
                              .queryCount = 2};
  VkQueryPool qp;
  VkResult vr = vkCreateQueryPool(c->dev, &qi, NULL, &qp);
  if (vr != VK_SUCCESS) return vk_fail(c, "vkCreateQueryPool", vr);
  VkCommandBuffer cmd;
  int rc = vk_sync(c);
  if (!rc) rc = vk_cmd(c, &cmd);
  if (!rc) {
    vkCmdResetQueryPool(cmd, qp, 0, 2);
    vk_barrier(c, cmd, true);
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, qp, 0);
  }
  for (int i = 0; i < reps && !rc; i++) rc = launch(c, p, dir, 0, in_off, out_off);
  if (!rc) rc = vk_cmd(c, &cmd); /* a long run may have been flushed into a new buffer */
  if (!rc) {
    vk_barrier(c, cmd, true);
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qp, 1);
    rc = vk_sync(c);
  }
  uint64_t ts[2];
  vr = rc ? VK_SUCCESS
          : vkGetQueryPoolResults(c->dev, qp, 0, 2, sizeof ts, ts, sizeof ts[0],
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (vr != VK_SUCCESS) rc = vk_fail(c, "vkGetQueryPoolResults", vr);
  if (!rc) *ms = (double)(ts[1] - ts[0]) * c->props.limits.timestampPeriod * 1e-6 / reps;
  vkDestroyQueryPool(c->dev, qp, NULL);
  return rc;
}

/* GPU time of one forward and one inverse transform of one field (time_plan) */
int vk_fft_time(dashi_backend *b, dashi_field *real, dashi_field *spec, int reps, double ms[2]) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  if (c->g->size != 1) return dashi_err(DASHI_ERR_USAGE, "vk_fft_time: one rank only");
  const vk_field *r = VKF(real), *s = VKF(spec);
  for (int dir = 0; dir < 2; dir++) {
    vk_plan *p;
    int band = plan_band(c, dir ? b->fft_band_in : b->fft_band_out);
    DASHI_CALL(get_plan(c, dir ? PLAN_INV2D : PLAN_FWD2D, 1, band, r->chunk, s->chunk, &p));
    DASHI_CALL(dir ? time_plan(c, p, 1, s->offset, r->offset, reps, &ms[dir])
                   : time_plan(c, p, -1, r->offset, s->offset, reps, &ms[dir]));
  }
  return 0;
}

/* GPU time of the library's forward C2C along y of N contiguous rows of length N, in place: the
 * row transforms alone, against which the row kernel's five per row are compared */
int vk_fft_rows_time(dashi_backend *b, int reps, double *ms) {
  vk_ctx *c = VKX(b);
  DASHI_CALL(vk_flush_pending(c));
  if (c->g->size != 1 || c->max_batch < 2)
    return dashi_err(DASHI_ERR_USAGE, "vk_fft_rows_time: one rank and two fields of work area");
  vk_plan *p;
  DASHI_CALL(get_plan(c, PLAN_ROWC2C, 1, 0, NULL, NULL, &p));
  return time_plan(c, p, -1, 0, 0, reps, ms);
}

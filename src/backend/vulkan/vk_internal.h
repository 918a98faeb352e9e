/* Vulkan backend internals (src/backend/vulkan): context and device, command recording, field
 * pools, pipelines, VkFFT plans, distributed transposes.
 *
 * Execution model: every op records its dispatches (and VkFFT launches) into the current command
 * buffer with a memory barrier before each, and returns; ops that hand data to the host
 * (reductions, *_get) and `sync` submit and wait on one fence. A whole right-hand side, a whole
 * RK step, or many steps thus go to the GPU in one submit. Nothing is allocated and no
 * descriptor set is written inside a time step: shaders reach buffers through buffer device
 * addresses in push constants, VkFFT plans are made on first use (per batch size and buffer pair)
 * and take buffer offsets at launch.
 *
 * Fields live in device-local "chunks": one VkBuffer holds up to VK_CHUNK_SLOTS fields of one
 * kind at a fixed slot size, so fields created one after another sit at equal spacing and a
 * batch of them is one batched VkFFT launch. */
#ifndef DASHI_VK_INTERNAL_H
#define DASHI_VK_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include <vulkan/vulkan.h>

#include "dashi/backend.h"
#include "dashi/error.h"

#define VK_FRAMES      3
#define VK_ARENA_BYTES ((VkDeviceSize)1 << 20)
#define VK_WG          256u
#define VK_MAX_GROUPS  65535u
#define VK_PC_BYTES    128u
#define VK_CHUNK_SLOTS 16
#define VK_MAX_BATCH   8
/* several ranks: the fused products hold up to 6 sources in the FFT work area (vk_rows.c) */
#define VK_ROWS_SLAB_FIELDS 6
#define VK_FLUSH_DISPATCHES 512 /* commands per submit before a flush without waiting */
#define VK_PROF_QUERIES     (VK_FLUSH_DISPATCHES + 8)
#define VK_RED_DEFER_MAX    12 /* deferred reductions at once (a diagnostics record: 6-7) */
#define VK_STAGING_BYTES    ((VkDeviceSize)64 << 20)

typedef enum {
  PIPE_SPEC_DERIVE,
  PIPE_NONLINEAR,
  PIPE_TENDENCY,
  PIPE_LINCOMB,
  PIPE_FILTER,
  PIPE_ZERO_NYQ,
  PIPE_RING,
  PIPE_TR_FWD_PACK,
  PIPE_TR_FWD_UNPACK,
  PIPE_TR_INV_PACK,
  PIPE_TR_INV_UNPACK,
  PIPE_DOT,
  PIPE_MOMENTS,
  PIPE_MAXABS,
  PIPE_FINAL,
  PIPE_SHELLS,
  PIPE_ROLL_GEMM, /* proxy ensemble rollout Zn = Z A (vk_rollout.c): double only, lazy */
  /* GPU decode (vk_carrier.c): double only, created on first use (vk_pipeline_ensure) */
  PIPE_DEC_LOWPASS,
  PIPE_DEC_MAXABS,
  PIPE_CARRIER_THRESHOLD,
  PIPE_CARRIER_MAJORITY,
  PIPE_CARRIER_ANNIHILATE,
  PIPE_CARRIER_FINING,
  PIPE_CARRIER_P95,
  PIPE_ROWS, /* the fused row pass (vk_rows.c): its own specialization, created on first use */
  /* the fused products' own x passes on one rank (vk_rows.c, xfft.comp), in this order */
  PIPE_XFFT_SRC1, /* sources, step 1 (derives them from omega-hat) */
  PIPE_XFFT_SRC2, /* sources, step 2 */
  PIPE_XFFT_PRD1, /* products, step 1 */
  PIPE_XFFT_PRD2, /* products, step 2 */
  /* the row pass through memory (vk_rows.c, rows_a/b/c.comp), in this order */
  PIPE_ROWS_A, /* inverse along y, step 1: length-P transforms over strided columns */
  PIPE_ROWS_B, /* chunks of Q: inverse step 2, the products, forward step 1 */
  PIPE_ROWS_C, /* forward step 2: length-P transforms over strided columns */
  PIPE_COPY,   /* device-to-device copies as a compute pass (vk_copy_words) */
  PIPE_COUNT
} vk_pipe_id;

/* profile labels: the pipelines, then the other kinds of command */
enum { PROF_FFT_FWD = PIPE_COUNT, PROF_FFT_INV, PROF_COPY, PROF_FILL, PROF_COUNT };

typedef struct {
  VkBuffer buf;
  VkDeviceMemory mem;
  VkDeviceAddress addr;
  VkDeviceSize size;
  VkDeviceSize held; /* device-local bytes of its allocation (0: host memory) */
  void *map;         /* host-visible buffers only */
} vk_buffer;

typedef struct vk_chunk {
  vk_buffer b;
  dashi_field_kind kind;
  VkDeviceSize slot_bytes;
  int nslots, id;
  bool used[VK_CHUNK_SLOTS];
} vk_chunk;

typedef struct {
  vk_chunk *chunk;
  int slot;
  VkDeviceSize offset; /* bytes into chunk */
  VkDeviceAddress addr;
} vk_field;

typedef struct {
  VkCommandBuffer cmd;
  VkFence fence;
  bool recording, submitted;
  vk_buffer arena; /* host-visible per-frame argument arena (ring-kick values) */
  VkDeviceSize arena_used;
  int ncmds;
  bool last_transfer; /* the last recorded command was a copy or fill (or none yet) */
  VkQueryPool qp;     /* DASHI_VK_PROFILE: one timestamp after every command */
  uint32_t nq;
  uint8_t label[VK_PROF_QUERIES];
} vk_frame;

/* spectral layout as the shaders see it (common.glsl) */
typedef struct {
  uint32_t N, nrows, nky, ky0, kyfast;
  uint32_t count; /* complex elements stored = nrows * N */
} vk_layout;

typedef struct vk_plan vk_plan;

/* spec_tendency is recorded lazily: if the next op is a spec_lincomb of at most 3 terms that
 * reads its result, both become one pass (spec_tendency.comp, flag 32); any other op first
 * records the pending tendency as it is (vk_flush_pending). */
typedef struct {
  bool active;
  VkDeviceAddress w, adv, q1, q2, force, rhs, dtab;
  const dashi_field *rhs_field;
  double nu0, drag;
  uint32_t flags, dkind;
} vk_pending;

typedef struct {
  const dashi_grid *g;
  dashi_backend *owner; /* its out_of_memory flag: vk_out_of_memory sets it, vk_fail clears it */
  const char *opt;      /* the option that asked for the device: -backend, -proxy_backend */
  bool f64;             /* field precision */
  bool acc64;           /* device has shaderFloat64: reductions accumulate in double */
  size_t rsize;         /* bytes per real */
  /* device */
  VkInstance inst;
  VkPhysicalDevice phys;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties memprops;
  VkDevice dev;
  VkQueue queue;
  uint32_t qfam;
  int device_index, device_count;
  char device_name[256];
  VkDeviceSize max_range;       /* largest buffer a VkFFT descriptor may cover */
  VkDeviceSize max_alloc;       /* maxMemoryAllocationSize (or max_range where not reported) */
  VkDeviceSize scratch_max;     /* largest scratch buffer of the row pass through memory */
  VkDeviceSize held, held_peak; /* device-local bytes of the backend's buffers, now and at most */
  VkDeviceSize vkfft_held;      /* of held, VkFFT's own allocations (its tables; vk_fft.c) */
  VkDeviceSize mem_cap;         /* test only (DASHI_VK_MEMORY_BYTES): device-local bytes allowed */
  /* test only (DASHI_VK_LOSE_DEVICE_AFTER_STEPS): the device is lost after that many steps */
  uint64_t lose_after, steps_done;
  bool lost;
  /* recording */
  VkCommandPool pool;
  vk_frame frames[VK_FRAMES];
  int cur;
  VkFence plan_fence; /* VkFFT's own submits during plan creation */
  /* pipelines */
  VkPipelineLayout layout;
  VkPipeline pipes[PIPE_COUNT];
  /* buffers */
  vk_buffer partials; /* device-local reduction partials */
  vk_buffer results;  /* host-visible reduction results */
  /* reductions_defer: the reductions recorded since (their results in slots of `results` past
   * the spectrum's N/2+1), taken in order at the closing call (vk_reduce.c) */
  bool red_defer;
  int red_n;
  uint32_t red_slots;
  struct {
    uint32_t slot, ncomp;
    int kind;
    double *out;
  } red[VK_RED_DEFER_MAX];
  vk_buffer staging;    /* host-visible get/put staging */
  vk_buffer work;       /* VkFFT scratch: 2D (one rank) or x-rows [f][i][ky] (several ranks) */
  vk_buffer temp;       /* VkFFT's temporary buffer (multi-pass transforms of large N) */
  vk_buffer work_k;     /* several ranks: ky-rows [f][a][x] */
  vk_buffer send, recv; /* several ranks: host-visible transpose buffers (MPI_Alltoall) */
  /* several ranks on one node (vk_fft.c, DASHI_VK_TRANSPOSE): the node's shared receive buffers,
   * one MPI shared-memory window imported into every rank's device, seg bytes per rank */
  vk_buffer xshm;
  vk_buffer xself; /* device-local: this rank's block to itself, which needs no trip to the host */
  MPI_Win xwin;
  VkDeviceSize xseg;
  bool host_import;          /* VK_EXT_external_memory_host enabled */
  VkDeviceSize import_align; /* its minImportedHostPointerAlignment */
  vk_buffer dtab;            /* exp dealiasing table (created on first use) */
  vk_buffer rows_tw;         /* fused row pass: exp(-2 pi i e/N), e = 0..N-1 */
  bool rows_split;     /* fused row pass: exchanges in two halves (vk_rows.c, DASHI_VK_ROWS) */
  bool rows_mem;       /* fused row pass through memory (rows_a/b/c.comp; vk_rows.c) */
  vk_buffer rows_s[4]; /* its scratch rows, one per group of fields (created on first use) */
  bool xfft;           /* fused products on one rank: own x passes (vk_rows.c, DASHI_VK_XFFT) */
  uint32_t xfft_cols;  /* their columns per workgroup (DASHI_VK_XFFT_COLS; 0: default) */
  dashi_dealias dtab_for;
  bool have_dtab;
  /* fields */
  vk_layout lay;
  VkDeviceSize real_bytes, spec_bytes; /* one field, unpadded */
  vk_chunk *chunks[256];
  int nchunks;
  int max_batch;      /* fields per batched transform */
  bool copy_transfer; /* DASHI_VK_COPY=transfer: vk_copy_words by vkCmdCopyBuffer */
  bool xpipe;         /* DASHI_VK_XPIPE=on (default): pipelined transposes via node shared memory */
  uint32_t xgroups;   /* DASHI_VK_XGROUPS: most workgroups per pack/unpack dispatch (0: no cap) */
  /* transforms */
  vk_plan *plans;
  bool glslang_ready;
  int64_t submits;
  vk_pending pend;
  /* -gpu_steps_per_submit: submit (without waiting) after every k steps, no automatic flush in
   * between (0: automatic, VK_FLUSH_DISPATCHES) */
  int steps_per_submit, steps_recorded;
  /* transform variant (vk_fft.c; DASHI_VK_FFT, DASHI_VK_FFT_TUNE, DASHI_VK_FFT_SHARED_BYTES) */
  unsigned fft_zeropad; /* VK_ZP_* bits */
  uint64_t fft_tune[4]; /* coalescedMemory, aimThreads, registerBoost, performBandwidthBoost */
  uint64_t fft_shared;  /* test only: shared memory VkFFT may use per workgroup (bytes) */
  int fft_band_probe;   /* zero-padded plans: 0 not made yet, 1 single-pass (used), -1 not */
  char fft_variant[128];
  /* GPU time per kind of command (DASHI_VK_PROFILE=1) */
  bool prof;
  bool exec_stats; /* VK_KHR_pipeline_executable_properties enabled (DASHI_VK_PROFILE) */
  double prof_ms[PROF_COUNT];
  int64_t prof_n[PROF_COUNT];
} vk_ctx;

#define VKX(b) ((vk_ctx *)(b)->impl)
#define VKF(f) ((vk_field *)(f)->data)

/* ---- vk_context.c ---- */
const char *vk_result_name(VkResult r);
/* DASHI_ERR_DEVICE with the device and the stage named */
int vk_fail(vk_ctx *c, const char *stage, VkResult r);
/* DASHI_ERR_DEVICE: no Vulkan device for `opt` (-backend, -proxy_backend) on this rank, with the
 * driver files and the remedy named */
int vk_no_device(const char *opt, int rank, const char *why);
int vk_context_create(vk_ctx *c, const dashi_backend_config *cfg);
/* the one device choice of every Vulkan user (backend, proxy rollout and decode): device vk_device
 * of inst, or (vk_device < 0) the node-local rank modulo the number of GPUs, CPU implementations
 * (lavapipe) only on a node without a GPU; errors name `opt` and the rank */
int vk_pick(VkInstance inst, const char *opt, int rank, int vk_device, int local_rank,
            VkPhysicalDevice *phys, int *index, int *count);
int vk_node_local_rank(MPI_Comm comm, int *lr);
/* a Vulkan 1.2 instance, or the no-device error naming `opt` and the rank */
int vk_open_instance(const char *opt, int rank, VkInstance *inst);
void vk_context_destroy(vk_ctx *c);
/* a test setting's byte count from the environment: *v = 0 where `name` is unset or empty; a usage
 * error "name=value: expected `expect`" where it is not a whole number >= least and a multiple of
 * mult */
int vk_env_bytes(const char *name, uint64_t least, uint64_t mult, const char *expect, uint64_t *v);
int vk_buffer_create(vk_ctx *c, VkDeviceSize size, bool host, vk_buffer *b, const char *what);
/* size of the device-local heap the buffers come from (bytes) */
VkDeviceSize vk_device_heap(const vk_ctx *c);
/* DASHI_ERR_DEVICE: the device has no room for `need` more bytes (stage: what was being made),
 * with what dashi holds, the heap, and the remedies */
int vk_out_of_memory(vk_ctx *c, const char *stage, VkDeviceSize need);
/* the device-memory count of the backend (held, held_peak): whether `bytes` more would pass the
 * test-only cap DASHI_VK_MEMORY_BYTES, and `bytes` more held */
bool vk_over_cap(const vk_ctx *c, VkDeviceSize bytes);
void vk_hold(vk_ctx *c, VkDeviceSize bytes);
/* Setup across the ranks of one transform: every local step that can fail on some ranks only is
 * agreed on before the next collective (and at the end), so that a rank's failure stops every
 * rank with its message instead of leaving the others waiting in a collective */
#define VK_AGREE(c, expr) DASHI_CALL(dashi_err_agree((c)->g->comm, (expr)))
/* a buffer on `size` bytes of host memory at `ptr` (VK_EXT_external_memory_host; ptr and size
 * multiples of import_align); vk_buffer_destroy leaves the host memory to its owner */
int vk_buffer_import(vk_ctx *c, void *ptr, VkDeviceSize size, vk_buffer *b, const char *what);
void vk_buffer_destroy(vk_ctx *c, vk_buffer *b);
/* the command buffer being recorded (begun on demand) */
int vk_cmd(vk_ctx *c, VkCommandBuffer *cmd);
/* a memory barrier before the next command: compute -> compute between two dispatches, a full
 * one (compute + transfer) where a transfer (copy, fill) is on either side */
void vk_barrier(vk_ctx *c, VkCommandBuffer cmd, bool transfer);
/* host-visible bytes that stay valid until the frame that uses them has completed */
int vk_arena(vk_ctx *c, VkDeviceSize bytes, void **host, VkDeviceAddress *addr);
/* submit what has been recorded; wait = block until the GPU is idle */
int vk_submit(vk_ctx *c, bool wait);
int vk_sync(vk_ctx *c);
/* count a recorded command of kind `label` (profile); flushes (without waiting) past
 * VK_FLUSH_DISPATCHES */
int vk_count(vk_ctx *c, int label);
const char *vk_prof_name(int label);

/* ---- vk_pipelines.c ---- */
typedef struct {
  uint8_t b[VK_PC_BYTES];
  uint32_t n;
  bool f64;
  bool overflow;
} vk_pc;
void pc_init(vk_pc *p, const vk_ctx *c);
void pc_addr(vk_pc *p, VkDeviceAddress a);
void pc_real(vk_pc *p, double x); /* REAL: double or float per field precision */
void pc_u32(vk_pc *p, uint32_t x);
int vk_pipelines_create(vk_ctx *c);
/* pipelines created on first use (the decode kernels): create `id` now if it does not exist */
int vk_pipeline_ensure(vk_ctx *c, vk_pipe_id id);
void vk_pipelines_destroy(vk_ctx *c);
/* record a dispatch over `count` elements (grid-stride; never zero workgroups) */
int vk_dispatch(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint64_t count);
/* exactly `groups` workgroups */
int vk_dispatch_groups(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t groups);
/* gx x gy workgroups */
int vk_dispatch_grid(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint32_t gx, uint32_t gy);
/* as vk_dispatch, with at most max_groups workgroups (0: as many as the count needs, up to
 * VK_MAX_GROUPS) and, without `barrier`, no barrier before it: a dispatch independent of the ones
 * recorded since the last barrier, which may then run alongside them if they leave room on the
 * device (vk_fft.c's pipelined transposes) */
int vk_dispatch_ex(vk_ctx *c, vk_pipe_id id, const vk_pc *p, uint64_t count, bool barrier,
                   uint32_t max_groups);
uint32_t vk_groups_for(uint64_t count);

/* ---- vk_fields.c ---- */
/* record a buffer-to-buffer copy of n bytes, after a barrier on earlier work */
int vk_copy(vk_ctx *c, VkBuffer src, VkDeviceSize so, VkBuffer dst, VkDeviceSize d0,
            VkDeviceSize n);
int vk_field_create(dashi_backend *b, dashi_field_kind kind, dashi_field **f);
void vk_field_destroy(dashi_backend *b, dashi_field *f);
void vk_chunks_destroy(vk_ctx *c);
/* bytes of one field of this kind (unpadded) */
VkDeviceSize vk_field_bytes(const vk_ctx *c, dashi_field_kind kind);
int vk_spec_get(dashi_backend *b, const dashi_field *f, double *canon);
int vk_spec_put(dashi_backend *b, dashi_field *f, const double *canon);
int vk_real_get(dashi_backend *b, const dashi_field *f, double *slab);
int vk_real_get_native(dashi_backend *b, const dashi_field *f, void *slab);
int vk_real_put(dashi_backend *b, dashi_field *f, const double *slab);
/* host bytes -> device buffer and back, through the staging buffer (submit and wait) */
int vk_upload(vk_ctx *c, VkBuffer dst, VkDeviceSize offset, VkDeviceSize bytes, const void *host);
int vk_download(vk_ctx *c, VkBuffer src, VkDeviceSize offset, VkDeviceSize bytes, void *host);
/* zero the Nyquist modes of n fields equally spaced from `first` (slot spacing) */
int vk_zero_nyquist(vk_ctx *c, VkDeviceAddress first, int n, VkDeviceSize stride_bytes);
/* bytes (a multiple of 16, both addresses 16-byte aligned) from src to dst on the device: a
 * compute pass (copy_words.comp), or vkCmdCopyBuffer of the buffers under DASHI_VK_COPY=transfer
 * (measurements; docs/performance.md) */
int vk_copy_words(vk_ctx *c, const vk_buffer *src, VkDeviceSize so, const vk_buffer *dst,
                  VkDeviceSize d0, VkDeviceSize bytes);

/* ---- vk_fft.c ---- */
/* band-aware transforms (backend.h fft_band_in/out): zero-padded VkFFT plans along kx and ky,
 * spec_derive writing the band only */
#define VK_ZP_X      1u
#define VK_ZP_Y      2u
#define VK_ZP_DERIVE 4u
#define VK_FUSED     8u  /* the fused nonlinear products (vk_rows.c) */
#define VK_AUTO      16u /* DASHI_VK_FFT=auto (default): VK_FUSED where it fits on every rank */
int vk_fft_init(vk_ctx *c);
const char *vk_fft_transport(const vk_ctx *c); /* several ranks: how the transposes move data */
int vk_fft_version(void);                      /* VkFFTGetVersion(): 10226 = 1.2.26 */
const char *vk_fft_variant(const vk_ctx *c);   /* DASHI_VK_FFT[_TUNE, _SHARED_BYTES] in effect */
/* the band the transforms use under the solver's hint (0: plain plans); an error as -code */
int vk_fft_band_usable(vk_ctx *c, int hint, const vk_chunk *spec);
void vk_fft_destroy(vk_ctx *c);
int vk_fft_forward(dashi_backend *b, int n, dashi_field *const *real, dashi_field *const *spec);
int vk_fft_inverse(dashi_backend *b, int n, dashi_field *const *spec, dashi_field *const *real);
/* in place on n spectral fields: the forward C2C along x of the columns ky < cols (the x pass of
 * the fused products, vk_rows.c) */
int vk_fft_xpass(vk_ctx *c, int n, dashi_field *const *f, uint32_t cols);
/* several ranks, the fused products' transposes (vk_rows.c): rows_in takes n sources from the
 * slab rows [f][a][kx] of work_k (spectral layout), transforms them forward along kx in place and
 * transposes them into the x rows [f][i][ky] of work; rows_out transposes n products from the x
 * rows [f][i][ky] at `rows` (device address) into work_k, transforms them forward along kx and
 * copies them into spec (Nyquist zeroed unless `band`) */
int vk_fft_rows_in(vk_ctx *c, int n);
int vk_fft_rows_out(vk_ctx *c, int n, VkDeviceAddress rows, dashi_field *const *spec, bool band);
/* one transform of one field repeated `reps` times, timed on the GPU (benchmarks); ms each */
int vk_fft_time(dashi_backend *b, dashi_field *real, dashi_field *spec, int reps, double ms[2]);
int vk_fft_rows_time(dashi_backend *b, int reps, double *ms);

/* ---- vk_ops.c ---- */
/* record a pending spec_tendency (every op calls this first, except the lincomb it can fuse) */
int vk_flush_pending(vk_ctx *c);
int vk_spec_derive(dashi_backend *b, const dashi_field *src, int n, const dashi_spec_op *ops,
                   dashi_field *const *dst);
/* spec_derive's dispatches: band > 0 skips the modes outside |kx|, |ky| <= band, cols > 0 the
 * columns ky >= cols; conj writes the complex conjugates */
int vk_derive_record(vk_ctx *c, VkDeviceAddress src, int n, const dashi_spec_op *ops,
                     const VkDeviceAddress *dst, uint32_t band, uint32_t cols, bool conj);

/* ---- vk_rows.c: the fused nonlinear products (DASHI_VK_FFT=fused, auto) ---- */
/* decides with the other ranks (every rank calls it) whether the fused pass runs (*ok: where
 * every rank wants it and can run it), makes its table and pipeline; `why` receives the reason
 * where this rank wants it and it cannot run */
int vk_rows_init(vk_ctx *c, bool want, bool *ok, char *why, size_t whylen);
/* the row kernel in use (and its row blocks), for fft_library, in buf */
const char *vk_rows_name(const vk_ctx *c, char *buf, size_t n);
/* the specialization constants of the row pass (own 1) or of the x steps (own 2..5: the
 * pipelines PIPE_XFFT_SRC1 .. PIPE_XFFT_PRD2 in order) */
#define VK_SPEC_N 9 /* specialization constants per pipeline (ids 0..8) */
void vk_rows_spec(const vk_ctx *c, int own, uint32_t sc[VK_SPEC_N]);
int vk_products(dashi_backend *b, const dashi_sgs_params *p, const dashi_field *w, int nd,
                const dashi_spec_op *ops, dashi_field *const *sd, int nn, dashi_field *const *out);
int vk_nonlinear(dashi_backend *b, const dashi_sgs_params *p, dashi_field *const *in,
                 dashi_field *const *out, double *nu_t_mean);
int vk_spec_tendency(dashi_backend *b, const dashi_tend_params *p, const dashi_field *w,
                     const dashi_field *adv, const dashi_field *q1, const dashi_field *q2,
                     const dashi_field *force, dashi_field *rhs);
int vk_spec_lincomb(dashi_backend *b, dashi_field *dst, int n, const double *c,
                    dashi_field *const *src);
int vk_spec_filter(dashi_backend *b, const dashi_dealias *d, dashi_field *f);
int vk_spec_ring_kick(dashi_backend *b, uint64_t seed, int64_t step, double kf, double dk,
                      double amp, dashi_field *w);

/* ---- vk_reduce.c ---- */
/* what the host makes of a reduction's local values (collective over the ranks): a full-plane
 * sum / N^4 (spec_dot), the same halved (spec_moments), max |f| with its NaN flag (real_maxabs),
 * a real-space mean (nu_t) */
enum { VK_RED_PLANE, VK_RED_MOMENTS, VK_RED_MAXABS, VK_RED_MEAN };
/* the final pass of nparts partials (ncomp components, op 0 sum / 1 max) into a result, and the
 * host's share of it into out: at once (one submit and wait) or, deferred, at the closing
 * vk_reductions_defer */
int vk_reduce(vk_ctx *c, uint32_t nparts, uint32_t ncomp, uint32_t op, int kind, double *out);
/* the same from partials at `part` (the row kernel's, vk_rows.c) */
int vk_reduce_at(vk_ctx *c, VkDeviceAddress part, uint32_t nparts, uint32_t ncomp, uint32_t op,
                 int kind, double *out);
int vk_reductions_defer(dashi_backend *b, dashi_defer mode);
int vk_spec_dot(dashi_backend *b, const dashi_field *x, const dashi_field *y, double *out);
int vk_spec_moments(dashi_backend *b, const dashi_field *w, double out[3]);
int vk_spec_shells(dashi_backend *b, const dashi_field *w, double *Ek);
int vk_real_maxabs(dashi_backend *b, const dashi_field *f, double *out);

#endif

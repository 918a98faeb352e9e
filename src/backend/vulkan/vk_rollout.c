/* GPU ensemble rollout of the DASHI proxy (include/dashi/vk_proxy.h): Z <- Z A in fp64 with
 * shaders/roll_gemm.comp on a one-rank Vulkan backend of its own (a tiny grid on MPI_COMM_SELF:
 * only the context, the command recording and the pipelines are used, no transform).
 *
 * Buffers: A, Z and Zn (ping-pong) and the non-finite flag are device-local; one host-visible
 * buffer carries uploads, downloads and the 8 bytes of the flag. A step is one dispatch (the
 * backend puts a barrier before it), so n steps are n dispatches in the current command buffer;
 * the host waits only in check/download/sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/vk_proxy.h"
#include "vk_internal.h"

#define ROLL_BM   64u /* the shader's tile: rows (members) x columns */
#define ROLL_BN   64u
#define FLAG_NONE 0xffffffffu

struct dashi_vk_rollout {
  dashi_grid g; /* the grid of the owned backend */
  dashi_backend *b;
  bool own;
  vk_ctx *c;
  int m, D;
  uint32_t ntn, groups;
  vk_buffer a, z[2], flag, host;
  VkDeviceSize zbytes, hflag; /* bytes of Z; offset of the flag copy in host */
  int cur;                    /* z[cur] holds the current state */
  uint32_t done;              /* steps recorded since the last upload */
};

/* before anything starts: the device this rank would take (vk_pick's rule; with the automatic
 * choice, that of node-local rank 0 - the common case, all alike: dashi_vk_rollout_create's own
 * backend checks the rank's device again) exists and has shaderFloat64 */
int dashi_vk_proxy_probe(int rank, int vk_device) {
  VkInstance inst;
  DASHI_CALL(vk_open_instance("-proxy_backend", rank, &inst));
  VkPhysicalDevice pd;
  int k, cnt;
  int rc = vk_pick(inst, "-proxy_backend", rank, vk_device, 0, &pd, &k, &cnt);
  if (!rc) {
    VkPhysicalDeviceProperties p;
    VkPhysicalDeviceFeatures f;
    vkGetPhysicalDeviceProperties(pd, &p);
    vkGetPhysicalDeviceFeatures(pd, &f);
    if (!f.shaderFloat64)
      rc = dashi_err(DASHI_ERR_DEVICE,
                     "-proxy_backend vulkan: Vulkan device %d '%s' (rank %d) has no shaderFloat64; "
                     "the GPU rollout is double precision only: choose a device with fp64 "
                     "(-vk_device, 'dashi info' lists them) or run with -proxy_backend cpu",
                     k, p.deviceName, rank);
  }
  vkDestroyInstance(inst, NULL);
  return rc;
}

static int setup(dashi_vk_rollout *r, const double *A) {
  vk_ctx *c = r->c;
  const int m = r->m, D = r->D;
  if (r->b->single || !c->f64 || !c->acc64)
    return dashi_err(DASHI_ERR_DEVICE,
                     "-proxy_backend vulkan: the GPU rollout needs a double-precision Vulkan "
                     "backend on a device with shaderFloat64 (device %d '%s')",
                     c->device_index, c->device_name);
  uint64_t tn = ((uint64_t)D + ROLL_BN - 1) / ROLL_BN, tm = ((uint64_t)m + ROLL_BM - 1) / ROLL_BM;
  if ((uint64_t)m * D >= ((uint64_t)1 << 31) || (uint64_t)D * D >= ((uint64_t)1 << 31) ||
      tn * tm > VK_MAX_GROUPS)
    return dashi_err(DASHI_ERR_USAGE,
                     "-proxy_backend vulkan: %d members of dimension %d on one rank exceed the "
                     "rollout shader's limits (m*D and D*D below 2^31, at most %u tiles of 64 x "
                     "64): spread the members over more proxy ranks",
                     m, D, VK_MAX_GROUPS);
  r->ntn = (uint32_t)tn;
  r->groups = (uint32_t)(tn * tm);
  r->zbytes = (VkDeviceSize)m * D * sizeof(double);
  VkDeviceSize abytes = (VkDeviceSize)D * D * sizeof(double);
  VkDeviceSize big = r->zbytes > abytes ? r->zbytes : abytes;
  r->hflag = (big + 255) & ~(VkDeviceSize)255;
  if (big > c->max_range)
    return dashi_err(DASHI_ERR_DEVICE,
                     "-proxy_backend vulkan: %.1f MiB of rollout state on device %d '%s' exceed "
                     "its largest buffer (%.1f MiB): spread the members over more proxy ranks",
                     big / 1048576.0, c->device_index, c->device_name, c->max_range / 1048576.0);
  DASHI_CALL(vk_pipeline_ensure(c, PIPE_ROLL_GEMM));
  DASHI_CALL(vk_buffer_create(c, abytes, false, &r->a, "rollout operator A"));
  DASHI_CALL(vk_buffer_create(c, r->zbytes, false, &r->z[0], "rollout state Z"));
  DASHI_CALL(vk_buffer_create(c, r->zbytes, false, &r->z[1], "rollout state Z'"));
  DASHI_CALL(vk_buffer_create(c, 256, false, &r->flag, "rollout non-finite flag"));
  DASHI_CALL(vk_buffer_create(c, r->hflag + 256, true, &r->host, "rollout host transfer"));
  DASHI_CALL(vk_flush_pending(c));
  DASHI_CALL(vk_sync(c));
  memcpy(r->host.map, A, abytes);
  DASHI_CALL(vk_copy(c, r->host.buf, 0, r->a.buf, 0, abytes));
  DASHI_CALL(vk_sync(c));
  return 0;
}

static int finish_create(dashi_vk_rollout *r, const double *A, dashi_vk_rollout **out) {
  int rc = setup(r, A);
  if (rc) {
    dashi_vk_rollout_destroy(r);
    return rc;
  }
  *out = r;
  return 0;
}

int dashi_vk_rollout_create_on(dashi_backend *b, int m, int D, const double *A,
                               dashi_vk_rollout **out) {
  *out = NULL;
  if (strcmp(b->name, "vulkan"))
    return dashi_err(DASHI_ERR_GENERIC, "internal error: GPU rollout on a %s backend", b->name);
  if (m < 1 || D < 1)
    return dashi_err(DASHI_ERR_USAGE, "GPU rollout of %d member(s) of dimension %d", m, D);
  dashi_vk_rollout *r = calloc(1, sizeof *r);
  r->b = b, r->c = VKX(b), r->m = m, r->D = D;
  return finish_create(r, A, out);
}

int dashi_vk_rollout_create(MPI_Comm comm, int vk_device, int m, int D, const double *A,
                            dashi_vk_rollout **out) {
  *out = NULL;
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (m < 1 || D < 1)
    return dashi_err(DASHI_ERR_USAGE, "GPU rollout of %d member(s) of dimension %d", m, D);
  dashi_vk_rollout *r = calloc(1, sizeof *r);
  r->m = m, r->D = D, r->own = true;
  int rc = dashi_grid_create(MPI_COMM_SELF, 8, &r->g);
  /* the device of this rank's node-local rank in comm (the grid is one rank) */
  dashi_backend_config bc = {.name = "vulkan",
                             .single = false,
                             .vk_device = vk_device,
                             .place = &comm,
                             .opt = "-proxy_backend"};
  if (!rc) rc = dashi_backend_create(&r->g, &bc, &r->b);
  if (rc) {
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", dashi_err_msg());
    dashi_vk_rollout_destroy(r);
    return dashi_err(rc, "-proxy_backend vulkan (GPU ensemble rollout, rank %d): %s", rank, msg);
  }
  r->c = VKX(r->b);
  return finish_create(r, A, out);
}

void dashi_vk_rollout_destroy(dashi_vk_rollout *r) {
  if (!r) return;
  if (r->c) {
    if (r->c->dev) vkDeviceWaitIdle(r->c->dev);
    vk_buffer_destroy(r->c, &r->a);
    vk_buffer_destroy(r->c, &r->z[0]);
    vk_buffer_destroy(r->c, &r->z[1]);
    vk_buffer_destroy(r->c, &r->flag);
    vk_buffer_destroy(r->c, &r->host);
  }
  if (r->own) dashi_backend_destroy(r->b);
  free(r);
}

int dashi_vk_rollout_upload(dashi_vk_rollout *r, const double *Z) {
  vk_ctx *c = r->c;
  DASHI_CALL(vk_flush_pending(c));
  DASHI_CALL(vk_sync(c)); /* the host buffer is free */
  memcpy(r->host.map, Z, r->zbytes);
  DASHI_CALL(vk_copy(c, r->host.buf, 0, r->z[0].buf, 0, r->zbytes));
  VkCommandBuffer cmd;
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_barrier(c, cmd, true);
  vkCmdFillBuffer(cmd, r->flag.buf, 0, 8, FLAG_NONE);
  DASHI_CALL(vk_count(c, PROF_FILL));
  r->cur = 0;
  r->done = 0;
  return 0;
}

int dashi_vk_rollout_record(dashi_vk_rollout *r, int64_t n) {
  vk_ctx *c = r->c;
  if (n < 0 || (uint64_t)r->done + (uint64_t)n >= FLAG_NONE)
    return dashi_err(DASHI_ERR_USAGE,
                     "GPU rollout: %lld more step(s) after %u exceed the 2^32-1 steps the "
                     "non-finite flag counts between uploads",
                     (long long)n, r->done);
  DASHI_CALL(vk_flush_pending(c));
  for (int64_t s = 0; s < n; s++) {
    vk_pc p;
    pc_init(&p, c);
    pc_addr(&p, r->z[r->cur].addr);
    pc_addr(&p, r->a.addr);
    pc_addr(&p, r->z[1 - r->cur].addr);
    pc_addr(&p, r->flag.addr);
    pc_u32(&p, (uint32_t)r->m);
    pc_u32(&p, (uint32_t)r->D);
    pc_u32(&p, r->ntn);
    pc_u32(&p, r->done + 1);
    DASHI_CALL(vk_dispatch_groups(c, PIPE_ROLL_GEMM, &p, r->groups));
    r->cur = 1 - r->cur;
    r->done++;
  }
  return 0;
}

int dashi_vk_rollout_check(dashi_vk_rollout *r, int64_t *bad_step, int *bad_row) {
  vk_ctx *c = r->c;
  DASHI_CALL(vk_flush_pending(c));
  DASHI_CALL(vk_copy(c, r->flag.buf, 0, r->host.buf, r->hflag, 8));
  DASHI_CALL(vk_sync(c));
  uint32_t f[2];
  memcpy(f, (const char *)r->host.map + r->hflag, sizeof f);
  *bad_step = f[0] == FLAG_NONE ? 0 : (int64_t)f[0];
  *bad_row = f[0] == FLAG_NONE ? -1 : (int)f[1];
  if (f[0] != FLAG_NONE && (f[0] > r->done || f[1] >= (uint32_t)r->m))
    return dashi_err(DASHI_ERR_DEVICE,
                     "GPU rollout: the non-finite flag reads step %u, row %u after %u step(s) of "
                     "%d row(s) (device %d '%s'): the device is not computing what was recorded",
                     f[0], f[1], r->done, r->m, c->device_index, c->device_name);
  return 0;
}

int dashi_vk_rollout_run(dashi_vk_rollout *r, int64_t n, int64_t *bad_step, int *bad_row) {
  DASHI_CALL(dashi_vk_rollout_record(r, n));
  return dashi_vk_rollout_check(r, bad_step, bad_row);
}

int dashi_vk_rollout_download(dashi_vk_rollout *r, double *Z) {
  vk_ctx *c = r->c;
  DASHI_CALL(vk_flush_pending(c));
  DASHI_CALL(vk_copy(c, r->z[r->cur].buf, 0, r->host.buf, 0, r->zbytes));
  DASHI_CALL(vk_sync(c));
  memcpy(Z, r->host.map, r->zbytes);
  return 0;
}

int dashi_vk_rollout_sync(dashi_vk_rollout *r) {
  DASHI_CALL(vk_flush_pending(r->c));
  return vk_sync(r->c);
}

int64_t dashi_vk_rollout_steps(const dashi_vk_rollout *r) {
  return r->done;
}

const char *dashi_vk_rollout_device(const dashi_vk_rollout *r) {
  return r->b->devices;
}

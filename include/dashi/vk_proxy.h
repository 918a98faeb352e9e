/* GPU ensemble rollout of the DASHI proxy (-proxy_backend vulkan; SPEC §5, docs/proxy.md): the
 * m members of one rank, Z (m x D, row-major), live on a Vulkan device and step Z <- Z A with
 * one fp64 compute dispatch per step (shaders/roll_gemm.comp). Many steps are recorded into one
 * command buffer (ping-pong buffers, a barrier between steps); the host syncs only to read the
 * non-finite flag or to download Z. Built with the Vulkan backend only (DASHI_WITH_VULKAN). */
#ifndef DASHI_VK_PROXY_H
#define DASHI_VK_PROXY_H
#include <mpi.h>
#include <stdint.h>

#include "dashi/backend.h"

typedef struct dashi_vk_rollout dashi_vk_rollout;

/* Is -proxy_backend vulkan usable on this rank (a Vulkan driver, device vk_device or any device
 * for -1, with shaderFloat64)? 0 or DASHI_ERR_DEVICE with the cause and the remedy. Not
 * collective (rank: for the message). */
int dashi_vk_proxy_probe(int rank, int vk_device);

/* Collective over comm (the device choice: vk_device, or with -1 the node-local rank within comm
 * modulo the number of GPUs). Makes its own one-rank Vulkan backend, uploads A (D x D row-major,
 * copied). Errors: DASHI_ERR_DEVICE (no device, no shaderFloat64, ...), DASHI_ERR_USAGE (sizes
 * beyond the shader's 32-bit indexing). */
int dashi_vk_rollout_create(MPI_Comm comm, int vk_device, int m, int D, const double *A,
                            dashi_vk_rollout **r);
/* the same on an existing double-precision Vulkan backend (not owned; must outlive r) */
int dashi_vk_rollout_create_on(dashi_backend *b, int m, int D, const double *A,
                               dashi_vk_rollout **r);
void dashi_vk_rollout_destroy(dashi_vk_rollout *r);
/* Z (m x D) to the device; resets the step count and the non-finite flag */
int dashi_vk_rollout_upload(dashi_vk_rollout *r, const double *Z);
/* record n steps (no wait; the backend flushes full command buffers without waiting) */
int dashi_vk_rollout_record(dashi_vk_rollout *r, int64_t n);
/* wait for the recorded steps and read the non-finite flag: *bad_step = the first step (counted
 * from the last upload, 1-based) after which a member's state had a NaN or an infinity, 0 if
 * none; *bad_row = the lowest such row (member of this rank) at that step, -1 if none */
int dashi_vk_rollout_check(dashi_vk_rollout *r, int64_t *bad_step, int *bad_row);
/* record + check */
int dashi_vk_rollout_run(dashi_vk_rollout *r, int64_t n, int64_t *bad_step, int *bad_row);
/* the current Z (m x D) to the host (waits) */
int dashi_vk_rollout_download(dashi_vk_rollout *r, double *Z);
/* wait for everything recorded */
int dashi_vk_rollout_sync(dashi_vk_rollout *r);
/* steps since the last upload; the device in words ("rank r: Vulkan device i of n: name ...") */
int64_t dashi_vk_rollout_steps(const dashi_vk_rollout *r);
const char *dashi_vk_rollout_device(const dashi_vk_rollout *r);

#endif

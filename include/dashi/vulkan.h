/* The Vulkan backend (built with -DDASHI_WITH_VULKAN=ON): VkFFT transforms and SPIR-V compute
 * shaders behind the ops table of backend.h. See docs/vulkan.md. */
#ifndef DASHI_VULKAN_H
#define DASHI_VULKAN_H
#include <stddef.h>
#include <stdint.h>

#include "dashi/backend.h"

/* Each rank takes device cfg->vk_device (an index of `dashi info`'s list), or (-1) its node-local
 * rank modulo the number of GPUs (CPU implementations such as lavapipe only on a node without
 * GPUs).
 * No device, a device without a needed feature, a shader or a plan that fails: DASHI_ERR_DEVICE
 * naming the device and the stage. Never a fallback to the CPU. */
int dashi_vulkan_backend_create(const dashi_grid *g, const dashi_backend_config *cfg,
                                dashi_backend **b);
/* One line describing every Vulkan device this process sees ("[0] name (type, ...); [1] ...");
 * DASHI_ERR_DEVICE with the reason in buf when there is none. */
int dashi_vulkan_list_devices(char *buf, size_t n);
/* GPU time (ms) of one forward [0] and one inverse [1] transform of one field, the mean of reps
 * launches in one command buffer (benchmarks; one rank). */
int dashi_vulkan_fft_time(dashi_backend *b, dashi_field *real, dashi_field *spec, int reps,
                          double ms[2]);
/* GPU time (ms) of the FFT library's forward C2C along y of N contiguous rows of length N, in
 * place, the mean of reps launches (benchmarks; one rank): what the row transforms alone cost. */
int dashi_vulkan_fft_rows_time(dashi_backend *b, int reps, double *ms);
/* With timestamps on (dashi_backend_config.timestamps or DASHI_VK_PROFILE=1 in the environment):
 * the GPU time per kind of command since the last call, then resets. Stage i < *n is names[i]
 * with calls[i] commands and ms[i] milliseconds (the same n and names on every rank); *n = 0
 * where timestamps are off or the device's queue has none. */
#define DASHI_VK_STAGES 64
int dashi_vulkan_stage_times(dashi_backend *b, int *n, const char *names[DASHI_VK_STAGES],
                             long long calls[DASHI_VK_STAGES], double ms[DASHI_VK_STAGES]);
/* The most device-local memory the backend's buffers held at once so far (bytes; VkFFT's own
 * tables included), the size of the device-local heap they come from, and what VkFFT's own
 * allocations hold now; 0, 0 and 0 for another backend. */
int dashi_vulkan_memory(const dashi_backend *b, double *peak, double *heap, double *vkfft);
/* The same as JSON members "name": [count, ms, fraction] (empty without profiling). */
int dashi_vulkan_profile(dashi_backend *b, char *buf, size_t n);
/* zero-padded (band) transforms under the solver's 2/3 hint: 1 used, -1 not usable at this
 * size (multi-pass VkFFT kernels), 0 not tried yet or disabled (DASHI_VK_FFT=plain) */
int dashi_vulkan_fft_band_state(const dashi_backend *b);
/* number of queue submits so far (a whole time step should be one, or less) */
int64_t dashi_vulkan_submits(const dashi_backend *b);
/* this process's MPI_Alltoall time and bytes sent to other ranks in the FFT transposes */
void dashi_vulkan_transpose_stats(double *seconds, double *bytes, long *calls, bool reset);

#endif

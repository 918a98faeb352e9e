/* The GPU decode of the DASHI proxy (SPEC §6) for `-proxy_backend vulkan`: all members of a rank
 * decoded together, in one queue submit per decode time (src/backend/vulkan/vk_carrier.c,
 * docs/proxy.md "GPU decode").
 *
 * On the GPU: the low-pass spectra of every member (lowk + anchors, Hermitian on ky = 0), batched
 * VkFFT inverse transforms, max|omega_lp| per member (a GPU reduction), threshold, 3x3 majority,
 * the annihilation sweeps with the per-member plateau stop and the coherence history (atomics in
 * device memory), fining (life/cool/killed per cell, persistent per member in device buffers) and
 * the exact p95 of life. One read-back per decode brings omega_lp, the fined carrier and the
 * counters; the host then adds the residual g s with the CPU's arithmetic. Given the same
 * omega_lp, the carrier (support and sign), the history and every statistic are bit-identical to
 * the CPU functions of proxy.h; omega_lp itself differs from FFTW's by transform round-off.
 *
 * Needs a device with shaderFloat64 (the threshold compares in double as the CPU does);
 * otherwise DASHI_ERR_DEVICE. A build without the Vulkan backend answers DASHI_ERR_DEVICE. */
#ifndef DASHI_VK_DECODE_H
#define DASHI_VK_DECODE_H
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "dashi/proxy.h"

typedef struct dashi_vk_decoder dashi_vk_decoder;

/* m members at the decode parameters p (decode_N = p->n) of layout l (anchors frozen; l must
 * outlive the decoder). vk_device: an index of `dashi info`'s list, or -1: the node-local rank
 * of comm modulo the number of GPUs (CPU implementations such as lavapipe only on a node without
 * GPUs). Fining starts fresh for every member. */
int dashi_vk_decoder_create(MPI_Comm comm, const dashi_proxy_layout *l,
                            const dashi_decode_params *p, int m, int vk_device,
                            dashi_vk_decoder **d);
void dashi_vk_decoder_destroy(dashi_vk_decoder *d);

/* Decode the m states z [m][D] (row-major): omega [m][n n] (nullable), st [m], history
 * [m][p->iters] (nullable; -1 = sweep not run), carrier [m][n n] (nullable: the fined carrier).
 * A non-finite low-pass value is DASHI_ERR_NUMERICS naming the member. */
int dashi_vk_decode(dashi_vk_decoder *d, const double *z, double *omega, dashi_decode_stats *st,
                    int *history, int8_t *carrier);

/* Steps 2-6 only, on given low-pass fields omega_lp [m][n n] (uploaded; tests feed the CPU's
 * low-pass field here for the bit-equality checks) with the residual target energies e_target [m]
 * (the E_mid + E_high of the header). Same outputs and fining state as dashi_vk_decode. */
int dashi_vk_decode_carrier(dashi_vk_decoder *d, const double *omega_lp, const double *e_target,
                            double *omega, dashi_decode_stats *st, int *history, int8_t *carrier);

/* Read-backs for tests: the threshold carrier (step 2) of member j of the last decode, and the
 * fining state of member j (each array n n, nullable). */
int dashi_vk_decoder_threshold(dashi_vk_decoder *d, int j, int8_t *s);
int dashi_vk_decoder_fining(dashi_vk_decoder *d, int j, uint16_t *life, uint8_t *cool,
                            uint8_t *killed);

/* tests: set the fining state of member j (killed_total becomes the number of killed cells) */
int dashi_vk_decoder_set_fining(dashi_vk_decoder *d, int j, const uint16_t *life,
                                const uint8_t *cool, const uint8_t *killed);

/* with DASHI_VK_PROFILE=1: GPU time per kernel since the last call, as dashi_vulkan_profile */
int dashi_vk_decoder_profile(dashi_vk_decoder *d, char *buf, size_t n);

/* queue submits so far (one per decode after the set-up), and the device in words */
int64_t dashi_vk_decoder_submits(const dashi_vk_decoder *d);
const char *dashi_vk_decoder_device(const dashi_vk_decoder *d);

#endif

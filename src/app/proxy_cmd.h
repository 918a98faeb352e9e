/* Shared pieces of the proxy commands (encode, learn, ensemble, run): output directory, backend
 * check, manifest entry, the ensemble parameters from the options. */
#ifndef DASHI_PROXY_CMD_H
#define DASHI_PROXY_CMD_H
#include <cJSON.h>
#include <mpi.h>
#include <stdbool.h>

#include "dashi/backend.h"
#include "dashi/options.h"
#include "dashi/proxy.h"
#include "dashi/proxy_io.h"

/* -proxy_backend: with proxy_gpu (ensemble, run: the commands that roll out and decode), vulkan
 * is checked for a usable device on every rank of comm (collective; no device is
 * DASHI_ERR_DEVICE naming the cause and the remedy, never a fallback). encode and learn run on
 * the CPU whatever -proxy_backend says (proxy_gpu = false: accepted and ignored). */
int pc_check_backend(MPI_Comm comm, const dashi_options *o, bool proxy_gpu);
/* DIR (= -out, default runs/<cmd>) and DIR/fname; refuses an existing file without -force */
int pc_prepare_out(MPI_Comm comm, const dashi_options *o, const char *cmd, const char *fname,
                   char *dir, size_t dlen, char *path, size_t plen);
/* manifest entry for a proxy command (rank 0 of comm writes; `extra` is consumed) */
int pc_manifest(MPI_Comm comm, const dashi_options *o, const char *dir, const char *cmd,
                const char *status, const char *fname, cJSON *extra);
/* ensemble parameters from the options; n = decode_N (already resolved) */
int pc_ens_params(const dashi_options *o, const dashi_proxy_layout *l, int n, dashi_ens_params *p);
/* decode_N: -decode_N or min(N, 256), validated */
int pc_decode_n(const dashi_options *o, const dashi_proxy_layout *l, int *n);

/* encoding of truth snapshots on the command's ranks (encode; ensemble's z_true): the CPU backend
 * transforms each snapshot, the encoder of layout l encodes it in distributed spectral space */
typedef struct {
  dashi_grid g;
  dashi_backend *b;
  dashi_field *real, *spec;
  dashi_encoder *enc;
  double *slab,
      *canon; /* snapshot k: this rank's rows, and its spectral rows after pc_frame_encode */
} pc_frame_encoder;
int pc_frame_encoder_open(MPI_Comm comm, int N, dashi_proxy_layout *l, pc_frame_encoder *fe);
/* z = the encoding of snapshot k of tr */
int pc_frame_encode(pc_frame_encoder *fe, dashi_truth_reader *tr, int64_t k, double *z);
void pc_frame_encoder_close(pc_frame_encoder *fe);

#endif

/* Commands of the dashi program (one file each) and the LES driver they share. */
#ifndef DASHI_APP_H
#define DASHI_APP_H
#include <cJSON.h>
#include <mpi.h>

#include "dashi/les.h"
#include "dashi/options.h"

int dashi_cmd_truth(MPI_Comm world, dashi_options *o);
int dashi_cmd_info(MPI_Comm world, dashi_options *o);
int dashi_cmd_run(MPI_Comm world, dashi_options *o);
int dashi_cmd_encode(MPI_Comm world, dashi_options *o);
int dashi_cmd_learn(MPI_Comm world, dashi_options *o);
int dashi_cmd_ensemble(MPI_Comm world, dashi_options *o);
int dashi_cmd_validate(MPI_Comm world, dashi_options *o);

/* The LES run (truth or the LES group of run): set-up, time loop, output, summary.
 * `cmd` names the command for the manifest. */
int dashi_les_driver(MPI_Comm comm, dashi_options *o, const char *cmd);

/* Optional callbacks into the LES time loop (used by `run` to feed the proxy group). at_step is
 * called collectively on the LES communicator at every step boundary -- step 0 (or the restart
 * step), after every step and at the final step -- after that step's records are written; a
 * non-zero return stops the run with that error. */
typedef struct {
  void *ctx;
  int (*at_step)(void *ctx, dashi_les *les);
} dashi_les_hooks;
int dashi_les_driver_ex(MPI_Comm comm, dashi_options *o, const char *cmd,
                        const dashi_les_hooks *hooks);

/* -log_view with -backend vulkan (gpu_log.c): whether it is asked for; forget the GPU stage
 * times so far (before the time loop); print those since then on rank 0 of comm (collective). */
bool dashi_gpu_log_wanted(const dashi_options *o);
int dashi_gpu_log_reset(dashi_backend *b);
int dashi_gpu_log_view(dashi_backend *b, MPI_Comm comm, long long steps, double wall_s);

/* Manifest entry of run directory dir (written by rank 0 only), built in this order:
 * begin: "id" and paths.run_dir (dir made absolute), command, solver_id, proxy_id (NULL: null),
 *   status; *paths is the "paths" object, for the caller's files;
 * parameters: "parameters" with those of `keys` that this command has, and "ranks";
 * write: git_revision and the "updated" time stamp, then dashi_manifest_update; frees e. */
cJSON *dashi_entry_begin(const char *dir, const char *cmd, const char *proxy_id, const char *status,
                         cJSON **paths);
void dashi_entry_parameters(cJSON *e, const dashi_options *o, const char *const *keys, size_t n,
                            int ranks);
int dashi_entry_write(const char *dir, cJSON *e);

#endif

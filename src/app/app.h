/* Commands of the dashi program (one file each) and the LES driver they share. */
#ifndef DASHI_APP_H
#define DASHI_APP_H
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

#endif

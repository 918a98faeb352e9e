/* Commands of the dashi program (one file each) and the LES driver they share. */
#ifndef DASHI_APP_H
#define DASHI_APP_H
#include <mpi.h>

#include "dashi/options.h"

int dashi_cmd_truth(MPI_Comm world, dashi_options *o);
int dashi_cmd_info(MPI_Comm world, dashi_options *o);

/* The LES run (truth or the LES group of run): set-up, time loop, output, summary.
 * `cmd` names the command for the manifest. */
int dashi_les_driver(MPI_Comm comm, dashi_options *o, const char *cmd);

#endif

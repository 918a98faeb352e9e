/* Graceful stop on SIGTERM / SIGUSR1 (Slurm time limits): the handler only sets a flag; the time
 * loop polls it collectively at step boundaries, writes a checkpoint and exits DASHI_EXIT_SIGNAL.
 */
#ifndef DASHI_SIGNALS_H
#define DASHI_SIGNALS_H
#include <mpi.h>
#include <stdbool.h>

void dashi_signals_install(void);
/* collective: true when any rank of comm received a stop signal; *signo receives it */
bool dashi_signal_pending(MPI_Comm comm, int *signo);

#endif

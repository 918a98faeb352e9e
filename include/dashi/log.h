/* Logging: rank-0 messages, progress lines with rate and ETA, and the PETSc -log_view events and
 * stages every phase is timed under. */
#ifndef DASHI_LOG_H
#define DASHI_LOG_H
#include <mpi.h>
#include <petsclog.h>

extern PetscLogEvent dashi_ev_rhs, dashi_ev_fft, dashi_ev_transpose, dashi_ev_diag, dashi_ev_io,
    dashi_ev_encode, dashi_ev_learn, dashi_ev_rollout, dashi_ev_decode;
extern PetscLogStage dashi_stage_steps, dashi_stage_diag, dashi_stage_io;

void dashi_log_register(void);
/* printf on rank 0 of comm (to stdout, flushed) */
void dashi_log(MPI_Comm comm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double dashi_wtime(void);

typedef struct {
  double t_start, t_last;
  long long done_start;
} dashi_progress;
void dashi_progress_start(dashi_progress *p, long long done0);
/* "label 120/2000 (6%)  35.2 steps/s  ETA 53s  extra" */
void dashi_progress_line(MPI_Comm comm, dashi_progress *p, const char *label, long long done,
                         long long total, const char *extra);
void dashi_format_duration(double s, char *buf, size_t n);

#endif

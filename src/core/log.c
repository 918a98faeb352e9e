#include "dashi/log.h"

#include <stdarg.h>
#include <stdio.h>

PetscLogEvent dashi_ev_rhs, dashi_ev_fft, dashi_ev_transpose, dashi_ev_diag, dashi_ev_io,
    dashi_ev_encode, dashi_ev_learn, dashi_ev_rollout, dashi_ev_decode;
PetscLogStage dashi_stage_steps, dashi_stage_diag, dashi_stage_io;

void dashi_log_register(void) {
  PetscClassId cls;
  PetscClassIdRegister("dashi", &cls);
  PetscLogEventRegister("DashiRHS", cls, &dashi_ev_rhs);
  PetscLogEventRegister("DashiFFT", cls, &dashi_ev_fft);
  PetscLogEventRegister("DashiTranspose", cls, &dashi_ev_transpose);
  PetscLogEventRegister("DashiDiagnostics", cls, &dashi_ev_diag);
  PetscLogEventRegister("DashiIO", cls, &dashi_ev_io);
  PetscLogEventRegister("DashiEncode", cls, &dashi_ev_encode);
  PetscLogEventRegister("DashiLearn", cls, &dashi_ev_learn);
  PetscLogEventRegister("DashiRollout", cls, &dashi_ev_rollout);
  PetscLogEventRegister("DashiDecode", cls, &dashi_ev_decode);
  PetscLogStageRegister("LES steps", &dashi_stage_steps);
  PetscLogStageRegister("Diagnostics", &dashi_stage_diag);
  PetscLogStageRegister("I/O", &dashi_stage_io);
}

void dashi_log(MPI_Comm comm, const char *fmt, ...) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (rank) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

double dashi_wtime(void) {
  return MPI_Wtime();
}

void dashi_format_duration(double s, char *buf, size_t n) {
  if (s < 0 || s != s)
    snprintf(buf, n, "?");
  else if (s < 60)
    snprintf(buf, n, "%.0fs", s);
  else if (s < 3600)
    snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else
    snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

void dashi_progress_start(dashi_progress *p, long long done0) {
  p->t_start = p->t_last = dashi_wtime();
  p->done_start = done0;
}

void dashi_progress_line(MPI_Comm comm, dashi_progress *p, const char *label, long long done,
                         long long total, const char *extra) {
  double now = dashi_wtime(), el = now - p->t_start;
  double rate = el > 0 ? (double)(done - p->done_start) / el : 0.0;
  char eta[32];
  dashi_format_duration(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof eta);
  dashi_log(comm, "%s %lld/%lld (%3.0f%%)  %.1f steps/s  ETA %s%s%s\n", label, done, total,
            total ? 100.0 * (double)done / (double)total : 100.0, rate, eta, extra ? "  " : "",
            extra ? extra : "");
  p->t_last = now;
}

#include "dashi/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* per thread: a background writer (truth_file.c) reports its failure in its own buffer, which the
 * thread that joins it hands on */
static _Thread_local char err_msg[4096];
static _Thread_local bool err_other;  /* the message is a consequence of another rank's error */
static _Thread_local bool err_agreed; /* the message came out of dashi_err_agree */

static int record(int code, bool other, const char *fmt, va_list ap) {
  vsnprintf(err_msg, sizeof err_msg, fmt, ap);
  err_other = other, err_agreed = false;
  return code;
}

int dashi_err(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(code, false, fmt, ap);
  va_end(ap);
  return code;
}

int dashi_err_other(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(code, true, fmt, ap);
  va_end(ap);
  return code;
}

bool dashi_err_agreed(void) {
  return err_agreed;
}

const char *dashi_err_msg(void) {
  return err_msg[0] ? err_msg : "unknown error";
}
void dashi_err_clear(void) {
  err_msg[0] = 0;
  err_other = err_agreed = false;
}

int dashi_err_agree(MPI_Comm comm, int code) {
  int rank, worst;
  MPI_Comm_rank(comm, &rank);
  MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, comm);
  if (!worst) return 0;
  /* the lowest failing rank with an error of its own, else the lowest failing one */
  const int other = 1 << 29;
  int mine = code ? rank + (err_other ? other : 0) : 1 << 30, first;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  MPI_Bcast(err_msg, sizeof err_msg, MPI_CHAR, first % other, comm);
  /* the message is every rank's now, and a consequence where it was one (an agreement over a
   * larger communicator later still prefers a cause) */
  err_other = first >= other, err_agreed = true;
  return worst;
}

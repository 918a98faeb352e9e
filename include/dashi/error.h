/* Error codes and messages. Every fallible function returns an int: 0 on success, otherwise one of
 * the DASHI_ERR_* codes, after recording a message (cause and remedy) with dashi_err(). The code is
 * also the process exit status. */
#ifndef DASHI_ERROR_H
#define DASHI_ERROR_H
#include <mpi.h>
#include <stdbool.h>

enum {
  DASHI_OK = 0,
  DASHI_ERR_GENERIC = 1,
  DASHI_ERR_USAGE = 2,    /* bad command line / options */
  DASHI_ERR_INPUT = 3,    /* missing, foreign or malformed input file */
  DASHI_ERR_NUMERICS = 4, /* CFL stop or non-finite value (a checkpoint was written first) */
  DASHI_ERR_DEVICE = 5,   /* requested device absent or failing */
  DASHI_ERR_IO = 6,       /* cannot write output */
  DASHI_ERR_MPI = 7,      /* MPI / library failure */
  DASHI_EXIT_SIGNAL = 75, /* stopped on SIGTERM/SIGUSR1 after writing a checkpoint (requeue me) */
};

/* Record a message for code and return code (printf-style). */
int dashi_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for an error this rank has only because another rank failed ("another rank's device
 * ..."): dashi_err_agree prefers any rank's own error to it. */
int dashi_err_other(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* whether the current message came out of dashi_err_agree (every rank of that agreement has it)
 * rather than from this rank alone */
bool dashi_err_agreed(void);
const char *dashi_err_msg(void);
void dashi_err_clear(void);

/* Collective: agree on an error across comm. Returns the largest code of any rank; the message
 * of the lowest-numbered failing rank becomes the message on every rank (of the lowest whose
 * error is its own, dashi_err rather than dashi_err_other, where there is one). Every rank must
 * reach the same calls in the same order: a function whose local steps can fail on some ranks
 * only agrees on them before its next collective. */
int dashi_err_agree(MPI_Comm comm, int code);

#define DASHI_CALL(expr)                                                                           \
  do {                                                                                             \
    int dashi_call_rc_ = (expr);                                                                   \
    if (dashi_call_rc_) return dashi_call_rc_;                                                     \
  } while (0)

#define DASHI_MPI(expr)                                                                            \
  do {                                                                                             \
    int dashi_mpi_rc_ = (expr);                                                                    \
    if (dashi_mpi_rc_ != MPI_SUCCESS)                                                              \
      return dashi_err(DASHI_ERR_MPI, "MPI call failed (%s:%d): %s", __FILE__, __LINE__, #expr);   \
  } while (0)

#endif

#include "dashi/signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t pending_signal = 0;

static void on_signal(int sig) {
  pending_signal = sig;
}

void dashi_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

bool dashi_signal_pending(MPI_Comm comm, int *signo) {
  int mine = pending_signal, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
  if (signo) *signo = any;
  return any != 0;
}

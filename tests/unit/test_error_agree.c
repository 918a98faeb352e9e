/* dashi_err_agree on 1, 2 and 4 ranks: every rank gets the largest code and one message, that of
 * the lowest failing rank whose error is its own (dashi_err) rather than a consequence of another
 * rank's (dashi_err_other), else that of the lowest failing rank, marked agreed
 * (dashi_err_agreed); no failure gives 0 and leaves the messages alone. */
#include "test_util.h"

/* each rank fails as fail[rank] says (0 no, 1 own error, 2 consequence, 3 a consequence and then
 * an own error) with code 2 + rank; the
 * message every rank must end with: "own r" / "other r" of the expected rank */
static void agree_case(const char *name, const int *fail, int size, const char *want, int code) {
  MPI_Comm w = MPI_COMM_WORLD;
  int r = tu_rank(w);
  dashi_err_clear();
  int rc = 0;
  if (r < size && fail[r] == 1) rc = dashi_err(2 + r, "own %d", r);
  if (r < size && fail[r] >= 2) rc = dashi_err_other(2 + r, "other %d", r);
  if (r < size && fail[r] == 3) rc = dashi_err(2 + r, "own %d", r);
  bool mine = dashi_err_agreed(); /* a rank's own error is not agreed before the call */
  int got = dashi_err_agree(w, rc);
  const char *msg = got ? dashi_err_msg() : "";
  /* after a failure the message is marked agreed on every rank (the LES driver's MPI_Abort
   * decision, les_driver.c device_stop); without one nothing changes */
  int same = got == code && !strcmp(msg, want) && !mine && dashi_err_agreed() == (code != 0), all;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, w);
  tu_check(all, "%s: code %d (want %d), message '%s' (want '%s') on every rank", name, got, code,
           msg, want);
}

int main(int argc, char **argv) {
  tu_init(&argc, &argv);
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  tu_note("dashi_err_agree on %d rank(s)\n", size);
  int none[4] = {0, 0, 0, 0};
  agree_case("no failure", none, size, "", 0);
  int last[4] = {0, 0, 0, 0};
  last[size - 1] = 1;
  char want[32];
  snprintf(want, sizeof want, "own %d", size - 1);
  agree_case("the last rank fails", last, size, want, 1 + size);
  if (size >= 2) {
    /* rank 0 fails only because rank 1 did: rank 1's message, the largest code */
    int f[4] = {2, 1, 0, 0};
    agree_case("a consequence on rank 0, the cause on rank 1", f, size, "own 1", 3);
    int g[4] = {1, 1, 2, 2};
    agree_case("two own errors: the lowest rank's", g, size, "own 0", 1 + size);
    int h[4] = {2, 2, 2, 2};
    agree_case("only consequences: the lowest rank's", h, size, "other 0", 1 + size);
  }
  if (size >= 4) {
    int f[4] = {2, 2, 0, 1};
    agree_case("consequences on ranks 0 and 1, the cause on rank 3", f, size, "own 3", 5);
  }
  /* a later dashi_err replaces a consequence with an own error */
  int k[4] = {3, 1, 0, 0};
  if (size >= 2) agree_case("an own error after a consequence", k, size, "own 0", 3);
  return tu_finish("test_error_agree");
}

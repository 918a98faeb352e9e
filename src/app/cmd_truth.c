#include "app.h"

int dashi_cmd_truth(MPI_Comm world, dashi_options *o) {
  return dashi_les_driver(world, o, "truth");
}

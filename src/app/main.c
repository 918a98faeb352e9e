/* dashi <command> [options]: PETSc options database, one file per command, errors reported once
 * with the cause and the remedy, exit status = error class (see include/dashi/error.h). */
#include <hdf5.h>
#include <petscsys.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/log.h"

static const char usage[] =
    "dashi - distributed pseudo-spectral 2D turbulence LES and the DASHI reduced model\n\n"
    "usage: dashi <command> [options]   (options PETSc-style: -name value; -options_file FILE)\n\n"
    "commands:\n"
    "  truth     run the LES alone and write the truth file\n"
    "  run       coupled LES + proxy groups (-les_ranks P; the other ranks run the proxy)\n"
    "  encode    truth file -> proxy trajectory z (-truth FILE)\n"
    "  learn     z -> learned operator A (-z FILE)\n"
    "  ensemble  z0 + A -> ensemble rollouts, decodes, scores (-A FILE [-z FILE] -truth FILE | "
    "-kernel_only)\n"
    "  validate  CPU vs GPU backend: every right-hand-side term and a short run, side by side\n"
    "  info      build, backends, ranks\n\n"
    "'dashi <command> -help' lists the options of one command with their defaults;\n"
    "'dashi -help' lists every option.\n";

static const struct {
  const char *name;
  unsigned cmd;
  int (*fn)(MPI_Comm, dashi_options *);
} commands[] = {
    {"truth", DASHI_CMD_TRUTH, dashi_cmd_truth},
    {"info", DASHI_CMD_INFO, dashi_cmd_info},
    {"run", DASHI_CMD_RUN, dashi_cmd_run},
    {"encode", DASHI_CMD_ENCODE, dashi_cmd_encode},
    {"learn", DASHI_CMD_LEARN, dashi_cmd_learn},
    {"ensemble", DASHI_CMD_ENSEMBLE, dashi_cmd_ensemble},
    {"validate", DASHI_CMD_VALIDATE, dashi_cmd_validate},
};

int main(int argc, char **argv) {
  const char *cmdname = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
  if (cmdname) { /* hide the command word from PETSc */
    for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
    argc--;
  }
  /* the truth file's snapshots are written by a second thread that calls MPI-IO (through HDF5)
   * while the time loop communicates (les_driver.c, -async_output) */
  PETSC_MPI_THREAD_REQUIRED = MPI_THREAD_MULTIPLE;
  if (PetscInitialize(&argc, &argv, NULL, usage)) return DASHI_ERR_MPI;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* dashi reports HDF5 failures itself, with context */
  dashi_log_register();
  MPI_Comm world = PETSC_COMM_WORLD;
  int rc = 0, idx = -1;
  for (size_t i = 0; cmdname && i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(cmdname, commands[i].name)) idx = (int)i;
  PetscBool help = PETSC_FALSE;
  PetscOptionsHasHelp(NULL, &help);
  if (!cmdname) {
    if (!help) dashi_log(world, "%s", usage); /* with -help PETSc prints it */
    if (help) {
      dashi_options o;
      bool h;
      dashi_options_parse(world, DASHI_CMD_ALL, &o, &h);
      dashi_options_free(&o);
    } else {
      rc = dashi_err(DASHI_ERR_USAGE, "no command given");
    }
  } else if (idx < 0) {
    rc = dashi_err(DASHI_ERR_USAGE, "unknown command '%s' (see 'dashi -help')", cmdname);
  } else if (!commands[idx].fn) {
    rc = dashi_err(DASHI_ERR_USAGE,
                   "command '%s' is not implemented in this version of dashi (available: truth, "
                   "run, encode, learn, ensemble, validate, info)",
                   cmdname);
  } else {
    dashi_options o;
    bool help_only = false;
    rc = dashi_options_parse(world, commands[idx].cmd, &o, &help_only);
    if (!rc && !help_only) rc = commands[idx].fn(world, &o);
    dashi_options_free(&o);
  }
  rc = dashi_err_agree(world, rc);
  if (rc) {
    int rank;
    MPI_Comm_rank(world, &rank);
    if (!rank)
      fprintf(stderr, "dashi: %s: %s\n", rc == DASHI_EXIT_SIGNAL ? "stopped" : "error",
              dashi_err_msg());
  }
  if (dashi_h5_abandoned()) { /* finalizing HDF5 would crash on the file left open */
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(world, rc ? rc : DASHI_ERR_IO);
  }
  PetscFinalize();
  return rc;
}

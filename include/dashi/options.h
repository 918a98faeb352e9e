/* The option table: one definition per option (name, type, default, help, commands using it).
 * Values come from the PETSc options database (command line, -options_file). An option that the
 * command does not use is an error, so a misspelling never silently becomes a default. */
#ifndef DASHI_OPTIONS_H
#define DASHI_OPTIONS_H
#include <mpi.h>
#include <stdbool.h>

enum dashi_cmd {
  DASHI_CMD_RUN = 1u << 0,
  DASHI_CMD_TRUTH = 1u << 1,
  DASHI_CMD_ENCODE = 1u << 2,
  DASHI_CMD_LEARN = 1u << 3,
  DASHI_CMD_ENSEMBLE = 1u << 4,
  DASHI_CMD_VALIDATE = 1u << 5,
  DASHI_CMD_INFO = 1u << 6,
  DASHI_CMD_ALL = 0x7f,
};

typedef enum { DASHI_OPT_INT, DASHI_OPT_REAL, DASHI_OPT_BOOL, DASHI_OPT_STRING } dashi_opt_type;

typedef struct {
  const char *name; /* without the leading dash */
  dashi_opt_type type;
  const char *def;     /* default as text ("" = unset string) */
  const char *choices; /* "a|b|c" for enumerations, NULL otherwise */
  unsigned cmds;       /* enum dashi_cmd mask */
  const char *help;
} dashi_opt_def;

typedef struct {
  const dashi_opt_def *def;
  long long i;
  double r;
  char s[1024];
  bool set; /* given by the user */
} dashi_opt_value;

typedef struct {
  unsigned cmd;
  int n;
  dashi_opt_value *v;
} dashi_options;

const dashi_opt_def *dashi_option_table(int *n);

/* The options of command `cmd` at their defaults (the table's), nothing read from the command line;
 * free with dashi_options_free. */
int dashi_options_defaults(unsigned cmd, dashi_options *o);
/* Parse the options of command `cmd` from the PETSc database. Errors on unknown options and bad
 * values. *help_only is set when -help was given (the help text has been printed). */
int dashi_options_parse(MPI_Comm comm, unsigned cmd, dashi_options *o, bool *help_only);
void dashi_options_free(dashi_options *o);

long long dashi_opt_i(const dashi_options *o, const char *name);
double dashi_opt_r(const dashi_options *o, const char *name);
bool dashi_opt_b(const dashi_options *o, const char *name);
const char *dashi_opt_s(const dashi_options *o, const char *name);
bool dashi_opt_set(const dashi_options *o, const char *name);
/* Override a value (used by restart to take the checkpoint's physics). */
int dashi_opt_put(dashi_options *o, const char *name, const char *value);
const dashi_opt_value *dashi_opt_find(const dashi_options *o, const char *name);

/* All options as a JSON object text (caller frees). */
char *dashi_options_json(const dashi_options *o);

#endif

#include "dashi/options.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <petscsys.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"

static int parse_value(dashi_opt_value *v, const char *text) {
  const dashi_opt_def *d = v->def;
  char *end = NULL;
  errno = 0;
  switch (d->type) {
  case DASHI_OPT_INT:
    v->i = strtoll(text, &end, 10);
    if (errno || !end || *end || end == text)
      return dashi_err(DASHI_ERR_USAGE, "option -%s: '%s' is not an integer", d->name, text);
    v->r = (double)v->i;
    break;
  case DASHI_OPT_REAL:
    v->r = strtod(text, &end);
    if (errno || !end || *end || end == text || !isfinite(v->r))
      return dashi_err(DASHI_ERR_USAGE, "option -%s: '%s' is not a finite number", d->name, text);
    break;
  case DASHI_OPT_BOOL:
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes") || !text[0])
      v->i = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no"))
      v->i = 0;
    else
      return dashi_err(DASHI_ERR_USAGE, "option -%s: '%s' is not true/false", d->name, text);
    break;
  case DASHI_OPT_STRING:
    if (strlen(text) >= sizeof v->s)
      return dashi_err(DASHI_ERR_USAGE, "option -%s: value too long", d->name);
    if (d->choices) {
      const char *c = d->choices;
      size_t n = strlen(text);
      bool ok = false;
      while (c) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, text, n)) ok = true;
        c = bar ? bar + 1 : NULL;
      }
      if (!ok)
        return dashi_err(DASHI_ERR_USAGE, "option -%s: '%s' is not one of %s", d->name, text,
                         d->choices);
    }
    break;
  }
  snprintf(v->s, sizeof v->s, "%s", text);
  return 0;
}

/* Register every option of the command with PETSc (so -help lists it) and read its value. */
static PetscErrorCode petsc_read(MPI_Comm comm, dashi_options *o, int *bad) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, NULL, "dashi options", NULL);
  for (int k = 0; k < o->n && !*bad; k++) {
    dashi_opt_value *v = &o->v[k];
    char name[128], buf[1024], help[512];
    PetscBool set = PETSC_FALSE;
    snprintf(name, sizeof name, "-%s", v->def->name);
    snprintf(help, sizeof help, "%s%s%s", v->def->help, v->def->choices ? ": " : "",
             v->def->choices ? v->def->choices : "");
    if (v->def->type == DASHI_OPT_BOOL) {
      PetscBool b = v->i ? PETSC_TRUE : PETSC_FALSE;
      PetscCall(PetscOptionsBool(name, help, "", b, &b, &set));
      if (set) v->i = b, v->set = true, snprintf(v->s, sizeof v->s, "%s", b ? "true" : "false");
    } else {
      PetscCall(PetscOptionsString(name, help, "", v->def->def, buf, sizeof buf, &set));
      if (set) {
        v->set = true;
        if (parse_value(v, buf)) *bad = 1;
      }
    }
  }
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

int dashi_options_defaults(unsigned cmd, dashi_options *o) {
  int ntab;
  const dashi_opt_def *tab = dashi_option_table(&ntab);
  o->cmd = cmd;
  o->n = 0;
  o->v = calloc((size_t)ntab, sizeof *o->v);
  for (int k = 0; k < ntab; k++) {
    if (!(tab[k].cmds & cmd)) continue;
    dashi_opt_value *v = &o->v[o->n++];
    v->def = &tab[k];
    DASHI_CALL(parse_value(v, tab[k].def));
  }
  return 0;
}

int dashi_options_parse(MPI_Comm comm, unsigned cmd, dashi_options *o, bool *help_only) {
  DASHI_CALL(dashi_options_defaults(cmd, o));
  int bad = 0;
  if (petsc_read(comm, o, &bad)) return dashi_err(DASHI_ERR_USAGE, "reading options failed");
  if (bad) return DASHI_ERR_USAGE;
  PetscBool help = PETSC_FALSE;
  PetscOptionsHasHelp(NULL, &help);
  *help_only = help;
  if (help) return 0;

  PetscInt nleft = 0;
  char **names = NULL, **values = NULL;
  PetscOptionsLeftGet(NULL, &nleft, &names, &values);
  int rc = 0;
  if (nleft > 0) {
    char list[2048] = "";
    for (PetscInt k = 0; k < nleft; k++) {
      if (!strcmp(names[k], "log_view") || !strncmp(names[k], "log_", 4)) continue;
      size_t len = strlen(list);
      snprintf(list + len, sizeof list - len, "%s-%s", len ? ", " : "", names[k]);
    }
    if (list[0])
      rc = dashi_err(DASHI_ERR_USAGE,
                     "unknown option(s) for this command: %s (see 'dashi <command> -help' for the "
                     "options each command takes)",
                     list);
  }
  PetscOptionsLeftRestore(NULL, &nleft, &names, &values);
  return rc;
}

void dashi_options_free(dashi_options *o) {
  free(o->v);
  o->v = NULL;
  o->n = 0;
}

const dashi_opt_value *dashi_opt_find(const dashi_options *o, const char *name) {
  for (int k = 0; k < o->n; k++)
    if (!strcmp(o->v[k].def->name, name)) return &o->v[k];
  fprintf(stderr, "dashi: internal error: option -%s is not defined for this command\n", name);
  abort();
}

long long dashi_opt_i(const dashi_options *o, const char *name) {
  return dashi_opt_find(o, name)->i;
}
double dashi_opt_r(const dashi_options *o, const char *name) {
  return dashi_opt_find(o, name)->r;
}
bool dashi_opt_b(const dashi_options *o, const char *name) {
  return dashi_opt_find(o, name)->i;
}
const char *dashi_opt_s(const dashi_options *o, const char *name) {
  return dashi_opt_find(o, name)->s;
}
bool dashi_opt_set(const dashi_options *o, const char *name) {
  return dashi_opt_find(o, name)->set;
}

int dashi_opt_put(dashi_options *o, const char *name, const char *value) {
  dashi_opt_value *v = (dashi_opt_value *)dashi_opt_find(o, name);
  return parse_value(v, value);
}

char *dashi_options_json(const dashi_options *o) {
  cJSON *j = cJSON_CreateObject();
  for (int k = 0; k < o->n; k++) {
    const dashi_opt_value *v = &o->v[k];
    switch (v->def->type) {
    case DASHI_OPT_INT:
      cJSON_AddNumberToObject(j, v->def->name, (double)v->i);
      break;
    case DASHI_OPT_REAL:
      cJSON_AddNumberToObject(j, v->def->name, v->r);
      break;
    case DASHI_OPT_BOOL:
      cJSON_AddBoolToObject(j, v->def->name, v->i);
      break;
    case DASHI_OPT_STRING:
      cJSON_AddStringToObject(j, v->def->name, v->s);
      break;
    }
  }
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

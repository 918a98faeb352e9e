/* The manifest entry of a run directory, shared by the LES driver and the proxy commands. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "dashi/io.h"

cJSON *dashi_entry_begin(const char *dir, const char *cmd, const char *proxy_id, const char *status,
                         cJSON **paths) {
  cJSON *e = cJSON_CreateObject();
  char abs_dir[4096];
  if (!realpath(dir, abs_dir)) snprintf(abs_dir, sizeof abs_dir, "%s", dir);
  cJSON_AddStringToObject(e, "id", abs_dir);
  cJSON_AddStringToObject(e, "command", cmd);
  cJSON_AddStringToObject(e, "solver_id", "spectral_les_v1");
  if (proxy_id)
    cJSON_AddStringToObject(e, "proxy_id", proxy_id);
  else
    cJSON_AddNullToObject(e, "proxy_id");
  cJSON_AddStringToObject(e, "status", status);
  *paths = cJSON_AddObjectToObject(e, "paths");
  cJSON_AddStringToObject(*paths, "run_dir", abs_dir);
  return e;
}

void dashi_entry_parameters(cJSON *e, const dashi_options *o, const char *const *keys, size_t n,
                            int ranks) {
  cJSON *k = cJSON_AddObjectToObject(e, "parameters");
  for (size_t i = 0; i < n; i++)
    for (int q = 0; q < o->n; q++) {
      const dashi_opt_value *v = &o->v[q];
      if (strcmp(v->def->name, keys[i])) continue;
      if (v->def->type == DASHI_OPT_STRING)
        cJSON_AddStringToObject(k, keys[i], v->s);
      else if (v->def->type == DASHI_OPT_BOOL)
        cJSON_AddBoolToObject(k, keys[i], v->i);
      else
        cJSON_AddNumberToObject(k, keys[i], v->def->type == DASHI_OPT_REAL ? v->r : (double)v->i);
    }
  cJSON_AddNumberToObject(k, "ranks", ranks);
}

int dashi_entry_write(const char *dir, cJSON *e) {
  cJSON_AddStringToObject(e, "git_revision", DASHI_GIT_REV);
  time_t now = time(NULL);
  char ts[64];
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  cJSON_AddStringToObject(e, "updated", ts);
  char *text = cJSON_PrintUnformatted(e);
  cJSON_Delete(e);
  int rc = dashi_manifest_update(dir, text);
  free(text);
  return rc;
}

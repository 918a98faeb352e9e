/* manifest.json in the output root (the parent of the run directory): one entry per run, keyed by
 * "id", merged under an exclusive file lock so that the tasks of a job array can update it at once.
 */
#include <cJSON.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dashi/error.h"
#include "dashi/io.h"

static int write_atomic(const char *path, const char *text) {
  char tmp[2100];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return dashi_err(DASHI_ERR_IO, "cannot write %s", tmp);
  fputs(text, f);
  fputc('\n', f);
  if (fclose(f) || rename(tmp, path)) return dashi_err(DASHI_ERR_IO, "cannot write %s", path);
  return 0;
}

int dashi_manifest_update(const char *run_dir, const char *entry_json) {
  cJSON *entry = cJSON_Parse(entry_json);
  if (!entry) return dashi_err(DASHI_ERR_GENERIC, "internal error: manifest entry is not JSON");
  char rd[2048], root[2048], mpath[2200], lpath[2200], rpath[2200];
  snprintf(rd, sizeof rd, "%s", run_dir);
  snprintf(root, sizeof root, "%s", dirname(rd));
  snprintf(mpath, sizeof mpath, "%s/manifest.json", root);
  snprintf(lpath, sizeof lpath, "%s/.manifest.lock", root);
  snprintf(rpath, sizeof rpath, "%s/run.json", run_dir);
  char *one = cJSON_Print(entry);
  int rc = write_atomic(rpath, one);
  free(one);
  int lk = open(lpath, O_CREAT | O_RDWR, 0664);
  if (lk < 0 || flock(lk, LOCK_EX)) {
    if (lk >= 0) close(lk);
    cJSON_Delete(entry);
    return dashi_err(DASHI_ERR_IO, "cannot lock %s", lpath);
  }
  char *old = dashi_read_text(mpath);
  cJSON *m = old ? cJSON_Parse(old) : NULL;
  if (old && !cJSON_IsObject(m)) {
    /* never drop other runs' entries silently: keep the unreadable file beside the new one */
    char bad[2300];
    snprintf(bad, sizeof bad, "%s.unreadable.%ld", mpath, (long)time(NULL));
    if (rename(mpath, bad) == 0)
      fprintf(stderr,
              "dashi: warning: %s is not a JSON object; kept it as %s and started a new "
              "manifest\n",
              mpath, bad);
    else
      rc = dashi_err(DASHI_ERR_IO,
                     "%s is not valid JSON and cannot be moved aside: fix or remove it", mpath);
    cJSON_Delete(m);
    m = NULL;
  }
  free(old);
  if (!m) m = cJSON_CreateObject();
  cJSON *runs = cJSON_GetObjectItem(m, "runs");
  if (!cJSON_IsArray(runs)) {
    cJSON_DeleteItemFromObject(m, "runs");
    runs = cJSON_AddArrayToObject(m, "runs");
  }
  const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "id"));
  int n = cJSON_GetArraySize(runs), at = -1;
  for (int i = 0; i < n; i++) {
    const char *rid = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(runs, i), "id"));
    if (rid && id && !strcmp(rid, id)) at = i;
  }
  if (at >= 0)
    cJSON_ReplaceItemInArray(runs, at, entry);
  else
    cJSON_AddItemToArray(runs, entry);
  if (!cJSON_GetObjectItem(m, "format")) cJSON_AddStringToObject(m, "format", "dashi-manifest-1");
  char *text = cJSON_Print(m);
  if (!rc) rc = write_atomic(mpath, text);
  free(text);
  cJSON_Delete(m);
  flock(lk, LOCK_UN);
  close(lk);
  return rc;
}

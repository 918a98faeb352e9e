/* dashi learn: proxy trajectory z -> learned operator A (SPEC §4), written to DIR/A.h5 with the
 * proxy configuration, the anchors, the training window, the fit report and the truth file. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy_io.h"
#include "proxy_cmd.h"

typedef struct {
  dashi_proxy_input in;
  double *A;
  dashi_fit_report fit;
  int64_t first, last;
  bool started;
} learn_job;

/* frames [a, b] of the window: consecutive, exactly encode_every apart */
static int window(const dashi_proxy_input *in, int64_t train_steps, int64_t *a, int64_t *b) {
  int64_t E = in->encode_every > 0 ? in->encode_every : 1;
  *a = 0;
  *b = in->T - 1;
  if (train_steps > 0) {
    int64_t end = in->step[0] + train_steps;
    while (*b > 0 && in->step[*b] > end) (*b)--;
  }
  for (int64_t k = *a + 1; k <= *b; k++)
    if (in->step[k] != in->step[k - 1] + E)
      return dashi_err(DASHI_ERR_INPUT,
                       "%s: frames at steps %lld and %lld are not encode_every = %lld steps apart: "
                       "the training pairs z_t -> z_{t+1} need a gap-free trajectory",
                       in->path, (long long)in->step[k - 1], (long long)in->step[k], (long long)E);
  if (*b - *a < 1)
    return dashi_err(DASHI_ERR_INPUT,
                     "%s: the training window holds %lld frame(s); learning needs at least 2 "
                     "(raise -train_steps or encode more snapshots)",
                     in->path, (long long)(*b - *a + 1));
  return 0;
}

static int learn_run(MPI_Comm world, dashi_options *o, learn_job *j, char *dir, size_t dl,
                     char *path, size_t pl) {
  DASHI_CALL(pc_check_backend(world, o, false)); /* learn runs on the CPU */
  const char *zf = dashi_opt_s(o, "z");
  if (!zf[0])
    return dashi_err(DASHI_ERR_USAGE, "dashi learn needs -z FILE (a proxy file from dashi encode)");
  DASHI_CALL(pc_prepare_out(world, o, "learn", "A.h5", dir, dl, path, pl));
  j->started = true;
  DASHI_CALL(dashi_pfile_read(world, zf, true, false, &j->in));
  int64_t a, b;
  DASHI_CALL(window(&j->in, dashi_opt_i(o, "train_steps"), &a, &b));
  const int D = j->in.l.D, T = (int)(b - a);
  j->first = j->in.step[a], j->last = j->in.step[b];
  dashi_log(world, "dashi learn: %s, frames at steps %lld..%lld (%d training pairs, D=%d) -> %s\n",
            zf, (long long)j->first, (long long)j->last, T, D, path);
  j->A = malloc(sizeof(double) * (size_t)D * D);
  dashi_learn_opts lo = {.ridge = dashi_opt_r(o, "ridge"),
                         .standardize = dashi_opt_b(o, "standardize")};
  DASHI_CALL(dashi_learn(world, T, D, j->in.z + (size_t)a * D, j->in.z + (size_t)(a + 1) * D, &lo,
                         j->A, &j->fit));
  dashi_fit_report_print(world, &j->fit);
  dashi_proxy_file *pf;
  DASHI_CALL(dashi_pfile_create(world, path, &j->in.l, "learn", o, j->in.truth, &pf));
  int rc =
      dashi_pfile_write_A(pf, j->A, &j->fit, j->first, j->last, zf, j->in.encode_every, j->in.dt);
  DASHI_CALL(dashi_pfile_close(pf, rc, "complete"));
  dashi_log(world, "dashi learn finished: operator in %s\n", path);
  return 0;
}

int dashi_cmd_learn(MPI_Comm world, dashi_options *o) {
  learn_job j;
  memset(&j, 0, sizeof j);
  char dir[1024] = "", path[1200] = "";
  int rc = dashi_err_agree(world, learn_run(world, o, &j, dir, sizeof dir, path, sizeof path));
  if (j.started) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "pairs", j.fit.T);
    cJSON_AddNumberToObject(x, "D", j.fit.D);
    cJSON_AddNumberToObject(x, "train_first_step", (double)j.first);
    cJSON_AddNumberToObject(x, "train_last_step", (double)j.last);
    cJSON_AddNumberToObject(x, "rel_residual", j.fit.rel_residual);
    cJSON_AddNumberToObject(x, "spectral_radius", j.fit.spectral_radius);
    cJSON_AddNumberToObject(x, "cond", j.fit.cond);
    int rm = pc_manifest(world, o, dir, "learn", rc ? "failed" : "completed", "A.h5", x);
    if (!rc) rc = rm;
  }
  dashi_proxy_input_free(&j.in);
  free(j.A);
  return rc;
}

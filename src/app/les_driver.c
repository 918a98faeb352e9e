/* The LES run: options -> grid/backend/solver -> initial state or restart -> time loop with
 * diagnostics, spectra, snapshots, checkpoints, progress, CFL / non-finite stops and graceful
 * signal stops -> summary and manifest. */
#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <hdf5.h>
#include <petscsys.h>

#include "app.h"
#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/les.h"
#include "dashi/log.h"
#include "dashi/signals.h"

/* a checkpoint written by the truth file's background writer (-async_output) */
typedef struct {
  char dir[1100];
  dashi_grid g; /* the run's, with a communicator of the writer's own */
  dashi_ckpt_info info;
  const double *canon;
  int keep;
  char *path_out;
  size_t path_len;
} ckpt_job;

typedef struct {
  MPI_Comm comm;
  dashi_options *o;
  const char *cmd;
  const dashi_les_hooks *hooks; /* NULL for `truth` */
  char out[1024], truth_path[1100], ckpt_dir[1100], last_ckpt[2048];
  dashi_grid g;
  dashi_backend *b;
  dashi_les *les;
  dashi_truth_file *tf;
  dashi_field *good; /* last state that passed the finite/CFL check */
  int64_t good_step;
  double good_time;
  dashi_field *cand; /* the state of a record riding on the step after it (step_and_record) */
  double *canon, *slab, *Ek;
  int64_t steps, start_step;
  bool resumed, continues;
  bool gpu_log; /* -log_view with -backend vulkan: GPU stage times (gpu_log.c) */
  char start_from[2048];
  dashi_les_diag last;
  double t0;
  MPI_Comm bg_comm; /* the background writer's (checkpoints), MPI_COMM_NULL without one */
  ckpt_job ck;
  /* an earlier output error that a checkpoint's wait for the writer met (a background snapshot or
   * checkpoint that failed): the checkpoint is written all the same, the error reported after */
  int out_rc;
  char out_err[2048];
} driver;

/* Options the user did not give explicitly are taken from the checkpoint, so that a restart
 * continues the same run; explicit ones win and are listed. */
static int adopt_checkpoint_options(driver *d, const char *json) {
  static const char *never[] = {"out", "force", "restart", "resume", "les_ranks"};
  cJSON *j = cJSON_Parse(json);
  if (!j) return dashi_err(DASHI_ERR_INPUT, "checkpoint options are not valid JSON");
  char changed[1024] = "";
  for (int k = 0; k < d->o->n; k++) {
    dashi_opt_value *v = &d->o->v[k];
    bool skip = false;
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
      skip |= !strcmp(never[i], v->def->name);
    cJSON *it = cJSON_GetObjectItem(j, v->def->name);
    if (skip || !it) continue;
    char text[1024];
    if (cJSON_IsString(it))
      snprintf(text, sizeof text, "%s", it->valuestring);
    else if (cJSON_IsBool(it))
      snprintf(text, sizeof text, "%s", cJSON_IsTrue(it) ? "true" : "false");
    else if (v->def->type == DASHI_OPT_INT)
      snprintf(text, sizeof text, "%.0f", it->valuedouble);
    else
      snprintf(text, sizeof text, "%.17g", it->valuedouble);
    if (v->set) {
      if (strcmp(text, v->s) && v->def->type != DASHI_OPT_REAL) goto differs;
      if (v->def->type == DASHI_OPT_REAL && strtod(text, NULL) != v->r) goto differs;
      continue;
    differs:
      snprintf(changed + strlen(changed), sizeof changed - strlen(changed), " -%s %s (was %s)",
               v->def->name, v->s, text);
      continue;
    }
    DASHI_CALL(dashi_opt_put(d->o, v->def->name, text));
  }
  cJSON_Delete(j);
  if (changed[0]) dashi_log(d->comm, "dashi: restart overrides checkpoint options:%s\n", changed);
  return 0;
}

static char *implementation_spec(driver *d) {
  cJSON *j = cJSON_CreateObject();
  char ver[MPI_MAX_LIBRARY_VERSION_STRING];
  int len;
  MPI_Get_library_version(ver, &len);
  char *nl = strchr(ver, '\n');
  if (nl) *nl = 0;
  char petsc[256];
  PetscGetVersion(petsc, sizeof petsc);
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  char h5[64];
  snprintf(h5, sizeof h5, "%u.%u.%u", maj, min, rel);
  cJSON_AddStringToObject(j, "program", "dashi " DASHI_VERSION);
  cJSON_AddStringToObject(j, "git_revision", DASHI_GIT_REV);
  cJSON_AddStringToObject(j, "backend", d->b->name);
  cJSON_AddStringToObject(j, "fft_library", d->b->fft_library);
  cJSON_AddStringToObject(j, "devices", d->b->devices);
  cJSON_AddNumberToObject(j, "ranks", d->g.size);
  cJSON_AddStringToObject(j, "mpi", ver);
  cJSON_AddStringToObject(j, "petsc", petsc);
  cJSON_AddStringToObject(j, "hdf5", h5);
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

/* the run's entry with the step and time it is at (a stop after a riding record: the record's) */
static int manifest_at(driver *d, const char *status, int64_t step, double time) {
  if (d->g.rank) return 0;
  cJSON *p, *e = dashi_entry_begin(d->out, d->cmd, NULL, status, &p);
  cJSON_AddStringToObject(p, "truth", "truth.h5");
  cJSON_AddStringToObject(p, "xdmf", "truth.xmf");
  cJSON_AddStringToObject(p, "checkpoints", "checkpoints");
  cJSON_AddStringToObject(p, "last_checkpoint", d->last_ckpt);
  static const char *const keys[] = {"N",         "dt",       "nu0",     "steps",   "sgs",
                                     "Cs",        "sgs_form", "forcing", "dealias", "ts",
                                     "precision", "backend",  "ic",      "seed"};
  dashi_entry_parameters(e, d->o, keys, sizeof keys / sizeof keys[0], d->g.size);
  cJSON_AddNumberToObject(e, "step", (double)step);
  cJSON_AddNumberToObject(e, "time", time);
  return dashi_entry_write(d->out, e);
}

static int manifest(driver *d, const char *status) {
  return manifest_at(d, status, d->les ? d->les->step : 0, d->les ? d->les->time : 0.0);
}

static int ckpt_job_run(void *arg) {
  ckpt_job *j = arg;
  return dashi_checkpoint_write_untimed(j->dir, &j->g, &j->info, j->canon, j->keep, j->path_out,
                                        j->path_len);
}

/* d->ck for the state f. The truth file's held diagnostics records first (this waits for the
 * writer): a resume from this checkpoint keeps every record before it; with `after_snapshot` only
 * the wait (the snapshot of this step appends them and its job flushes them before it writes this
 * checkpoint). An output error met there (the writer's job failed) does not stop this checkpoint:
 * it is kept in d->out_rc for the caller to report (*ok_bg = false: write this one here and now).
 * d->canon and d->last_ckpt are the writer's until its next wait once the job is handed over. */
static int prepare_checkpoint(driver *d, dashi_field *f, int64_t step, double t,
                              bool after_snapshot, bool *ok_bg) {
  int frc = dashi_truth_broken(d->tf) ? 0
            : after_snapshot          ? dashi_truth_wait(d->tf)
                                      : dashi_truth_flush(d->tf);
  if (frc && !d->out_rc) {
    d->out_rc = frc;
    snprintf(d->out_err, sizeof d->out_err, "%s", dashi_err_msg());
  }
  *ok_bg = !frc && d->bg_comm != MPI_COMM_NULL;
  ckpt_job *j = &d->ck;
  j->info = (dashi_ckpt_info){.step = step, .time = t, .N = d->g.N};
  char *oj = dashi_options_json(d->o);
  snprintf(j->info.options_json, sizeof j->info.options_json, "%s", oj);
  free(oj);
  DASHI_CALL(d->b->ops->spec_get(d->b, f, d->canon));
  snprintf(j->dir, sizeof j->dir, "%s", d->ckpt_dir);
  j->g = d->g;
  j->canon = d->canon;
  j->keep = (int)dashi_opt_i(d->o, "keep_checkpoints");
  j->path_out = d->last_ckpt;
  j->path_len = sizeof d->last_ckpt;
  if (*ok_bg) j->g.comm = d->bg_comm;
  return 0;
}

static int write_prepared_checkpoint(driver *d) {
  ckpt_job *j = &d->ck;
  j->g.comm = d->g.comm;
  return dashi_checkpoint_write(j->dir, &j->g, &j->info, j->canon, j->keep, j->path_out,
                                j->path_len);
}

/* background: written by the truth file's writer while the loop goes on (periodic checkpoints
 * with -async_output) */
static int write_checkpoint_of(driver *d, dashi_field *f, int64_t step, double t, bool background) {
  bool ok_bg;
  DASHI_CALL(prepare_checkpoint(d, f, step, t, false, &ok_bg));
  if (!background || !ok_bg) return write_prepared_checkpoint(d);
  char what[64];
  snprintf(what, sizeof what, "the checkpoint of step %lld", (long long)step);
  return dashi_truth_background(d->tf, ckpt_job_run, &d->ck, what);
}

/* -resume auto, or -restart from a checkpoint in this run directory's checkpoints/ folder: the
 * truth file there is continued; any other restart starts a new truth file */
static bool continues_this_run(driver *d) {
  if (!strcmp(dashi_opt_s(d->o, "resume"), "auto")) return true;
  const char *restart = dashi_opt_s(d->o, "restart");
  if (!restart[0]) return false;
  char dir[2048], a[PATH_MAX], b[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", restart);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = 0;
  else
    snprintf(dir, sizeof dir, ".");
  return realpath(dir, a) && realpath(d->ckpt_dir, b) && !strcmp(a, b);
}

/* the run directory: refuse to overwrite unless -force, or the run is continued */
static int prepare_out(driver *d) {
  const char *out = dashi_opt_s(d->o, "out");
  snprintf(d->out, sizeof d->out, "%s",
           out[0] ? out : (!strcmp(d->cmd, "run") ? "runs/run" : "runs/truth"));
  snprintf(d->truth_path, sizeof d->truth_path, "%s/truth.h5", d->out);
  snprintf(d->ckpt_dir, sizeof d->ckpt_dir, "%s/checkpoints", d->out);
  bool exists = dashi_path_exists(d->truth_path);
  d->continues = continues_this_run(d);
  if (exists && !d->continues && !dashi_opt_b(d->o, "force"))
    return dashi_err(
        DASHI_ERR_USAGE,
        "run directory %s already holds a truth file%s: choose another -out, add -force "
        "to overwrite it, or -resume auto to continue it",
        d->out,
        dashi_opt_s(d->o, "restart")[0] ? " of another run (the -restart "
                                          "checkpoint is not from its checkpoints/ folder)"
                                        : "");
  int rc = d->g.rank ? 0 : dashi_mkdir_p(d->out);
  return dashi_err_agree(d->comm, rc);
}

/* -resume auto: number of checkpoint files in dir, and the N of the newest readable one (0: none)
 */
static int scan_checkpoints(const char *dir, int64_t *newest_N) {
  long long steps[DASHI_CKPT_LIST_MAX];
  int n = dashi_checkpoint_list(dir, steps);
  *newest_N = 0;
  for (int i = 0; i < n && *newest_N <= 0; i++) {
    char path[2048];
    dashi_checkpoint_path(dir, steps[i], path, sizeof path);
    *newest_N = dashi_checkpoint_peek_N(path);
  }
  return n;
}

/* restart / resume: read the state; returns *have_state */
static int load_restart(driver *d, bool *have_state, dashi_ckpt_info *info) {
  *have_state = false;
  const char *restart = dashi_opt_s(d->o, "restart");
  if (restart[0]) {
    DASHI_CALL(dashi_checkpoint_read(restart, &d->g, info, d->canon));
    snprintf(d->start_from, sizeof d->start_from, "%s", restart);
    *have_state = true;
  } else if (!strcmp(dashi_opt_s(d->o, "resume"), "auto")) {
    bool found;
    DASHI_CALL(dashi_checkpoint_latest(d->ckpt_dir, &d->g, info, d->canon, d->start_from,
                                       sizeof d->start_from, &found));
    int64_t unused;
    int files = found ? 0 : scan_checkpoints(d->ckpt_dir, &unused);
    if (files > 0) /* never start afresh over a run whose checkpoints all fail to verify */
      return dashi_err(DASHI_ERR_INPUT,
                       "-resume auto: none of the %d checkpoint(s) in %s can be used (see the "
                       "warnings above); remedy: -restart a good checkpoint explicitly, or remove "
                       "%s (or choose another -out) to start the run afresh",
                       files, d->ckpt_dir, d->ckpt_dir);
    if (!found)
      dashi_log(d->comm, "dashi: -resume auto: no checkpoint in %s, starting afresh\n",
                d->ckpt_dir);
    *have_state = found;
  }
  return 0;
}

/* -async_output needs MPI_THREAD_MULTIPLE (main.c asks for it): without it, a default is
 * declined with a line saying so, an explicit request is an error */
static int choose_async_output(driver *d) {
  int level;
  MPI_Query_thread(&level);
  bool want = dashi_opt_b(d->o, "async_output"), can = level >= MPI_THREAD_MULTIPLE;
  if (want && !can && dashi_opt_set(d->o, "async_output"))
    return dashi_err(DASHI_ERR_USAGE,
                     "-async_output true needs MPI_THREAD_MULTIPLE, and this MPI library "
                     "provides thread level %d: use an MPI built with thread support, or "
                     "-async_output false",
                     level);
  if (want && !can)
    dashi_log(d->comm,
              "dashi: snapshots and checkpoints are written synchronously: this MPI provides "
              "thread level %d, "
              "a background writer needs MPI_THREAD_MULTIPLE\n",
              level);
  dashi_truth_set_async(d->tf, want && can);
  if (want && can) DASHI_MPI(MPI_Comm_dup(d->g.comm, &d->bg_comm));
  return 0;
}

static int setup(driver *d) {
  DASHI_CALL(prepare_out(d));
  /* the grid size must be known before reading a checkpoint: peek at N */
  int N = (int)dashi_opt_i(d->o, "N");
  dashi_ckpt_info info;
  bool have_state = false;
  {
    /* a restart or resume adopts the checkpoint's N unless -N was given */
    const char *restart = dashi_opt_s(d->o, "restart");
    int64_t n = 0;
    if (restart[0] && !dashi_opt_set(d->o, "N"))
      n = dashi_checkpoint_peek_N(restart);
    else if (!strcmp(dashi_opt_s(d->o, "resume"), "auto") && !dashi_opt_set(d->o, "N"))
      scan_checkpoints(d->ckpt_dir, &n);
    if (n > 0) N = (int)n;
  }
  DASHI_CALL(dashi_grid_create(d->comm, N, &d->g));
  d->canon = malloc(sizeof(double) * 2 * (size_t)d->g.nky * d->g.N + 1);
  d->slab = malloc(sizeof(double) * (size_t)d->g.nx * d->g.N + 1);
  d->Ek = malloc(sizeof(double) * (d->g.N / 2 + 1));
  DASHI_CALL(load_restart(d, &have_state, &info));
  if (have_state) {
    DASHI_CALL(adopt_checkpoint_options(d, info.options_json));
    if (dashi_opt_i(d->o, "N") != d->g.N)
      return dashi_err(DASHI_ERR_USAGE, "-N %lld differs from the checkpoint's N=%d",
                       dashi_opt_i(d->o, "N"), d->g.N);
  }
  dashi_les_config cfg;
  DASHI_CALL(dashi_les_config_from_options(d->o, &cfg));
  d->gpu_log = dashi_gpu_log_wanted(d->o);
  const char *plan = dashi_opt_s(d->o, "fftw_plan");
  dashi_backend_config bc = {.name = dashi_opt_s(d->o, "backend"),
                             .single = !strcmp(dashi_opt_s(d->o, "precision"), "single"),
                             .fftw_flags = !strcmp(plan, "patient")   ? FFTW_PATIENT
                                           : !strcmp(plan, "measure") ? FFTW_MEASURE
                                                                      : FFTW_ESTIMATE,
                             .vk_device = (int)dashi_opt_i(d->o, "vk_device"),
                             .timestamps = d->gpu_log};
  long long spsub = dashi_opt_i(d->o, "gpu_steps_per_submit");
  if (spsub < 0 || spsub > 1000000)
    return dashi_err(DASHI_ERR_USAGE, "-gpu_steps_per_submit %lld: must be 0 (automatic) or 1..1e6",
                     spsub);
  bc.steps_per_submit = (int)spsub;
  /* agreed: every rank stops where one cannot make its backend (the Vulkan backend agrees on its
   * own steps; a failure after them, or a backend without that, is agreed here) */
  DASHI_CALL(dashi_err_agree(d->comm, dashi_backend_create(&d->g, &bc, &d->b)));
  DASHI_CALL(dashi_les_create(&cfg, &d->g, d->b, &d->les));
  DASHI_CALL(dashi_err_agree(d->comm, d->b->ops->field_create(d->b, DASHI_FIELD_SPEC, &d->good)));
  /* the state of a record riding on its step (step_and_record). Where a rank's device has no room
   * for it the records are computed before their steps, as before, and the log says so; any
   * other failure stops the run */
  if (dashi_opt_i(d->o, "stats_every") > 0 && !(d->hooks && d->hooks->at_step)) {
    int rc = d->b->ops->field_create(d->b, DASHI_FIELD_SPEC, &d->cand), mine = rc == 0, all;
    if (rc && d->b->out_of_memory) {
      rc = 0, d->cand = NULL;
      dashi_err_clear();
    }
    DASHI_CALL(dashi_err_agree(d->comm, rc));
    DASHI_MPI(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, d->comm));
    if (!all) {
      if (mine) d->b->ops->field_destroy(d->b, d->cand);
      d->cand = NULL;
      dashi_log(d->comm,
                "dashi %s: no memory for one more spectral field on some rank's device: "
                "each diagnostics record takes a right-hand side of its own (about one "
                "step more per -stats_every steps)\n",
                d->cmd);
    }
  }
  double t_end = dashi_opt_r(d->o, "t_end");
  d->steps = t_end > 0 ? (int64_t)llround(t_end / cfg.dt) : dashi_opt_i(d->o, "steps");
  if (d->steps < 0) return dashi_err(DASHI_ERR_USAGE, "-steps must be non-negative");

  char *ss = dashi_les_solver_spec_json(&cfg, bc.single), *is = implementation_spec(d);
  int rc = 0;
  if (have_state) {
    DASHI_CALL(dashi_les_set_state_spec(d->les, d->canon));
    d->les->step = info.step;
    d->les->time = info.time;
    d->resumed = true;
    if (d->continues && dashi_path_exists(d->truth_path))
      rc = dashi_truth_reopen(d->truth_path, &d->g, info.step, &d->tf);
    else
      rc = dashi_truth_create(d->truth_path, &d->g, bc.single, d->o, ss, is, &d->tf);
  } else {
    if (cfg.ic == DASHI_IC_FILE) {
      bool is_spec;
      const char *ds = dashi_opt_set(d->o, "ic_dataset") ? cfg.ic_dataset : NULL;
      rc = dashi_read_vorticity(cfg.ic_file, ds, &d->g, d->slab, d->canon, &is_spec);
      if (!rc)
        rc = is_spec ? dashi_les_set_state_spec(d->les, d->canon)
                     : dashi_les_set_state_slab(d->les, d->slab);
      snprintf(d->start_from, sizeof d->start_from, "%s", cfg.ic_file);
    } else {
      rc = dashi_les_init_state(d->les);
      snprintf(d->start_from, sizeof d->start_from, "-ic %s", dashi_opt_s(d->o, "ic"));
    }
    if (!rc) rc = dashi_truth_create(d->truth_path, &d->g, bc.single, d->o, ss, is, &d->tf);
  }
  free(ss);
  free(is);
  DASHI_CALL(rc);
  DASHI_CALL(choose_async_output(d));
  d->start_step = d->les->step;
  if (d->start_step > d->steps)
    return dashi_err(DASHI_ERR_USAGE, "checkpoint is at step %lld, beyond -steps %lld",
                     (long long)d->start_step, (long long)d->steps);
  return manifest(d, "running");
}

/* non-finite or CFL stop: checkpoint the last good state (finite: the record's, in `at`), then a
 * clear error */
static int numerics_stop(driver *d, const dashi_les_diag *dg, bool finite, dashi_field *at) {
  int rc = write_checkpoint_of(d, finite ? at : d->good, finite ? dg->step : d->good_step,
                               finite ? dg->time : d->good_time, false);
  char why[512];
  if (!finite)
    snprintf(why, sizeof why, "non-finite values at step %lld (t=%g; E=%g Z=%g max|w|=%g)",
             (long long)dg->step, dg->time, dg->E, dg->Z, dg->max_omega);
  else
    snprintf(why, sizeof why, "CFL number %.3g exceeds -cfl_max %g at step %lld (t=%g, dt=%g)",
             dg->cfl, dashi_opt_r(d->o, "cfl_max"), (long long)dg->step, dg->time, d->les->cfg.dt);
  manifest_at(d, finite ? "failed: CFL" : "failed: non-finite", dg->step, dg->time);
  char also[2100] = "";
  if (d->out_rc) snprintf(also, sizeof also, " (Also, an earlier write failed: %s)", d->out_err);
  if (rc)
    return dashi_err(DASHI_ERR_NUMERICS, "%s; writing the checkpoint also failed: %s%s", why,
                     dashi_err_msg(), also);
  return dashi_err(DASHI_ERR_NUMERICS,
                   "%s. The last good state (step %lld) is in %s. Remedy: reduce -dt (CFL is "
                   "proportional to dt) or raise -nu0/-Cs, then -restart from that checkpoint.%s",
                   why, (long long)(finite ? dg->step : d->good_step), d->last_ckpt, also);
}

static bool every(int64_t step, long long k) {
  return k > 0 && step % k == 0;
}

/* a record's checks (d->last, of the state in `at`): appended if finite; a non-finite value or a
 * CFL number above -cfl_max stops the run; else `at` becomes the last good state (swapped with
 * d->good where `at` is d->cand) */
static int record_check(driver *d, dashi_field *at) {
  dashi_les *s = d->les;
  bool finite = isfinite(d->last.E) && isfinite(d->last.Z) && isfinite(d->last.P) &&
                isfinite(d->last.max_omega) && isfinite(d->last.cfl);
  if (finite) DASHI_CALL(dashi_truth_append_diag(d->tf, &d->last));
  if (!finite || d->last.cfl > s->cfg.cfl_max) return numerics_stop(d, &d->last, finite, at);
  if (at == d->cand) {
    dashi_field *f = d->good;
    d->good = d->cand, d->cand = f;
  } else {
    double one = 1.0;
    DASHI_CALL(d->b->ops->spec_lincomb(d->b, d->good, 1, &one, &at));
  }
  d->good_step = d->last.step, d->good_time = d->last.time;
  return 0;
}

/* the record of this step now */
static int record_now(driver *d) {
  PetscLogStagePush(dashi_stage_diag);
  int rc = dashi_les_diagnostics(d->les, &d->last);
  PetscLogStagePop();
  DASHI_CALL(rc);
  return record_check(d, d->les->w);
}

/* the step, with the record of the state before it riding on it (dashi_les_step_diag: the
 * record's products are the step's first right-hand side's) where *ride */
static int step_and_record(driver *d, bool ride) {
  dashi_les *s = d->les;
  if (!ride) {
    PetscLogStagePush(dashi_stage_steps);
    int rc = dashi_les_step(s);
    PetscLogStagePop();
    return rc;
  }
  double one = 1.0; /* the record's state, kept in case it is the last good one */
  DASHI_CALL(d->b->ops->spec_lincomb(d->b, d->cand, 1, &one, &s->w));
  PetscLogStagePush(dashi_stage_steps);
  int rc = dashi_les_step_diag(s, &d->last);
  PetscLogStagePop();
  DASHI_CALL(rc);
  return record_check(d, d->cand);
}

/* A step's outputs. Its diagnostics record rides on the next step (*ride, step_and_record) where
 * the step writes nothing else and is not the last: the same record, without the separate
 * right-hand side it costs otherwise. Not with an at_step hook (`dashi run`: it is promised the
 * step's checked record before it runs, app.h) nor without room for d->cand (setup). */
static int record(driver *d, bool *ride) {
  dashi_les *s = d->les;
  int64_t st = s->step;
  bool final = st == d->steps;
  bool spectra = every(st, dashi_opt_i(d->o, "spectra_every"));
  bool snap = every(st, dashi_opt_i(d->o, "snapshot_every")) ||
              (final && dashi_opt_i(d->o, "snapshot_every") > 0),
       ckpt = (every(st, dashi_opt_i(d->o, "checkpoint_every")) && st != d->start_step) || final;
  *ride = false;
  if (every(st, dashi_opt_i(d->o, "stats_every")) || final) {
    if (!final && !spectra && !snap && !ckpt && d->cand) return *ride = true, 0;
    DASHI_CALL(record_now(d));
  }
  PetscLogStagePush(dashi_stage_io);
  if (spectra) {
    DASHI_CALL(dashi_les_spectrum(s, d->Ek));
    DASHI_CALL(dashi_truth_append_spectrum(d->tf, s->time, st, d->Ek));
  }
  /* a periodic checkpoint at a snapshot step is written by the snapshot's background job, after
   * it (the loop would otherwise wait for the snapshot before starting the checkpoint); the final
   * checkpoint is written before the run ends */
  bool with_snap = false;
  if (snap && ckpt && !final && d->bg_comm != MPI_COMM_NULL) {
    DASHI_CALL(prepare_checkpoint(d, s->w, st, s->time, true, &with_snap));
    if (d->out_rc) {
      DASHI_CALL(write_prepared_checkpoint(d));
      return dashi_err(d->out_rc, "%s", d->out_err);
    }
    ckpt = !with_snap;
  }
  if (snap) {
    bool single;
    DASHI_CALL(dashi_truth_wait(d->tf)); /* the slab is the writer's until then */
    DASHI_CALL(dashi_les_omega_slab_native(s, d->slab, &single));
    DASHI_CALL(dashi_truth_append_snapshot(d->tf, s->time, st, d->slab, single,
                                           with_snap ? ckpt_job_run : NULL, &d->ck));
  }
  if (ckpt) { /* periodic ones in the background */
    DASHI_CALL(write_checkpoint_of(d, s->w, st, s->time, !final));
    if (d->out_rc) return dashi_err(d->out_rc, "%s", d->out_err);
  }
  PetscLogStagePop();
  return 0;
}

/* a write of the truth file failed (now, or in the background since the last wait): the state is
 * checkpointed (another file), then the error with the way on. After a riding record (`ride`) the
 * state of that record, so that its record is written again when the run goes on */
static int truth_write_stop(driver *d, bool ride) {
  char why[3072];
  snprintf(why, sizeof why, "%s", dashi_err_msg());
  int64_t step = ride ? d->last.step : d->les->step;
  int rc = write_checkpoint_of(d, ride ? d->cand : d->les->w, step,
                               ride ? d->last.time : d->les->time, false);
  manifest_at(d, "failed: truth file write", step, ride ? d->last.time : d->les->time);
  if (rc)
    return dashi_err(DASHI_ERR_IO, "%s; writing the checkpoint of step %lld also failed: %s", why,
                     (long long)step, dashi_err_msg());
  if (!dashi_truth_broken(d->tf))
    return dashi_err(DASHI_ERR_IO,
                     "%s. The state of step %lld is in %s, the truth file holds every record "
                     "before. Remedy: free space (or lift the limit), then continue this run with "
                     "-resume auto -out %s",
                     why, (long long)step, d->last_ckpt, d->out);
  return dashi_err(DASHI_ERR_IO,
                   "%s. The state of step %lld is in %s; the truth file is left unfinished (it "
                   "may not open). Remedy: free space (or lift the limit), then go on in a new run "
                   "directory with -restart %s -out <new dir>",
                   why, (long long)step, d->last_ckpt, d->last_ckpt);
}

/* A device error on this rank alone (not out of dashi_err_agree): in the time loop a lost GPU (an
 * Xid error) or memory made at first use, in the set-up a transform plan made at first use. The
 * state on the device is gone, the checkpoints on disk are not. One rank: the message says how to
 * go on, and the truth file is closed with every record held. Several: the other ranks may be
 * waiting for this one inside a collective (the step's exchanges), where no agreement reaches
 * them, so this rank says what happened and stops the job (MPI_Abort) instead of leaving it
 * hanging until its time limit. */
static int device_stop(driver *d, int rc, bool in_loop) {
  if (dashi_err_agreed()) return rc; /* every rank has it */
  char msg[6144];
  int n = snprintf(msg, sizeof msg, "%s", dashi_err_msg());
  if (in_loop && n > 0 && (size_t)n < sizeof msg) {
    bool oom = d->b && d->b->out_of_memory;
    char where[96];
    snprintf(where, sizeof where,
             d->les->step == d->start_step ? "before completing its first step, %lld (of %lld)"
                                           : "in the steps before %lld (of %lld)",
             (long long)d->les->step, (long long)d->steps);
    snprintf(msg + n, sizeof msg - (size_t)n,
             ". The run stopped %s%s -resume auto -out %s: it takes the newest complete "
             "checkpoint in %s",
             where,
             oom ? "; the checkpoints are intact: once the run fits, go on with"
                 : ". Once the device is healthy, continue with the same command and",
             d->out, d->ckpt_dir);
  }
  if (d->g.size <= 1) return in_loop ? dashi_err(rc, "%s", msg) : rc;
  fprintf(stderr,
          "dashi: error: rank %d: %s. Stopping every rank (MPI_Abort): the others may be waiting "
          "for this one in a collective%s\n",
          d->g.rank, msg, in_loop ? " (the time step's exchanges)" : "");
  fflush(stderr);
  fflush(stdout);
  MPI_Abort(MPI_COMM_WORLD, rc);
  return rc;
}

static int time_loop(driver *d) {
  dashi_les *s = d->les;
  long long pe = dashi_opt_i(d->o, "progress_every");
  dashi_progress prog;
  dashi_signals_install();
  dashi_progress_start(&prog, s->step);
  if (d->gpu_log) DASHI_CALL(dashi_gpu_log_reset(d->b));
  d->t0 = dashi_wtime();
  dashi_log(d->comm,
            "dashi %s: N=%d, %d rank(s), backend %s (%s), %s, dt=%g, steps %lld..%lld, from %s\n",
            d->cmd, d->g.N, d->g.size, d->b->name, d->b->single ? "single" : "double",
            dashi_opt_s(d->o, "ts"), s->cfg.dt, (long long)s->step, (long long)d->steps,
            d->start_from);
  for (;;) {
    bool ride;
    int rc = record(d, &ride);
    if (rc == DASHI_ERR_IO && dashi_truth_failed(d->tf)) return truth_write_stop(d, false);
    DASHI_CALL(rc);
    if (d->hooks && d->hooks->at_step) DASHI_CALL(d->hooks->at_step(d->hooks->ctx, s));
    if (s->step >= d->steps) break;
    int sig;
    if (dashi_signal_pending(d->comm, &sig)) {
      if (ride) { /* the record first, as without a ride */
        rc = record_now(d);
        if (rc == DASHI_ERR_IO && dashi_truth_failed(d->tf)) return truth_write_stop(d, false);
        DASHI_CALL(rc);
      }
      DASHI_CALL(write_checkpoint_of(d, s->w, s->step, s->time, false));
      manifest(d, "interrupted: resumable");
      if (d->out_rc)
        return dashi_err(d->out_rc,
                         "signal %d received: checkpoint %s written at step %lld, but an earlier "
                         "write failed: %s",
                         sig, d->last_ckpt, (long long)s->step, d->out_err);
      return dashi_err(DASHI_EXIT_SIGNAL,
                       "signal %d received: checkpoint %s written at step %lld; continue with "
                       "-resume auto -out %s (exit status %d)",
                       sig, d->last_ckpt, (long long)s->step, d->out, DASHI_EXIT_SIGNAL);
    }
    rc = step_and_record(d, ride);
    if (rc == DASHI_ERR_IO && dashi_truth_failed(d->tf)) return truth_write_stop(d, ride);
    DASHI_CALL(rc);
    if (pe > 0 && s->step % pe == 0) {
      /* the rate and ETA of steps done, not of steps recorded: a GPU may be submits behind (with
       * -stats_every 0 nothing else waits for it) */
      DASHI_CALL(d->b->ops->sync(d->b));
      char extra[160];
      if (dashi_opt_i(d->o, "stats_every") > 0)
        snprintf(extra, sizeof extra, "t=%.4g  E=%.5g Z=%.5g cfl=%.3f", s->time, d->last.E,
                 d->last.Z, d->last.cfl);
      else /* no record yet: no zeros shown as values */
        snprintf(extra, sizeof extra, "t=%.4g", s->time);
      dashi_progress_line(d->comm, &prog, "step", s->step, d->steps, extra);
    }
  }
  return 0;
}

/* prints the summary; returns the time loop's wall time (s) */
static double summary(driver *d) {
  double wall = dashi_wtime() - d->t0;
  long long n = (long long)(d->les->step - d->start_step);
  char dur[32];
  dashi_format_duration(wall, dur, sizeof dur);
  dashi_log(d->comm,
            "\ndashi %s finished: %lld steps in %s (%.3f ms/step, %.1f steps/s) on %d rank(s)\n"
            "  final t=%.6g  E=%.6g  Z=%.6g  max|w|=%.4g  cfl=%.3f  <nu_t>=%.3g\n"
            "  truth file:  %s  (XDMF: %s/truth.xmf)\n  checkpoint:  %s\n",
            d->cmd, n, dur, n ? 1e3 * wall / n : 0.0, wall > 0 ? n / wall : 0.0, d->g.size,
            d->les->time, d->last.E, d->last.Z, d->last.max_omega, d->last.cfl, d->last.nu_t_mean,
            d->truth_path, d->out, d->last_ckpt);
  return wall;
}

int dashi_les_driver(MPI_Comm comm, dashi_options *o, const char *cmd) {
  return dashi_les_driver_ex(comm, o, cmd, NULL);
}

int dashi_les_driver_ex(MPI_Comm comm, dashi_options *o, const char *cmd,
                        const dashi_les_hooks *hooks) {
  driver d = {.comm = comm, .o = o, .cmd = cmd, .hooks = hooks, .bg_comm = MPI_COMM_NULL};
  /* before setup (planning, reading a checkpoint can take long): a stop signal that arrives then
   * is acted on at the first step boundary instead of killing the rank (default action) */
  dashi_signals_install();
  int rc = setup(&d);
  if (rc == DASHI_ERR_DEVICE) rc = device_stop(&d, rc, false);
  rc = dashi_err_agree(comm, rc);
  if (!rc) {
    rc = time_loop(&d);
    if (rc == DASHI_ERR_DEVICE) rc = device_stop(&d, rc, true);
    rc = dashi_err_agree(comm, rc);
  }
  int n_async = 0, n_other = 0;
  double write_s = 0, wait_s = 0;
  if (d.tf) {
    char first[4096]; /* an error that ended the loop is the one reported */
    snprintf(first, sizeof first, "%s", dashi_err_msg());
    int rc2 = dashi_truth_wait(d.tf);
    dashi_truth_async_stats(d.tf, &n_async, &n_other, &write_s, &wait_s);
    int rc3 = dashi_truth_close(d.tf);
    if (rc)
      dashi_err(rc, "%s", first);
    else
      rc = rc2 ? rc2 : rc3;
  }
  if (!rc) {
    double wall = summary(&d);
    if (n_async + n_other)
      dashi_log(comm,
                "  background:  %d snapshot(s) and %d checkpoint(s) written while the loop went "
                "on (writer %.3f s; the loop waited %.3f s for it)\n",
                n_async, n_other, write_s, wait_s);
    if (d.gpu_log)
      rc = dashi_gpu_log_view(d.b, comm, (long long)(d.les->step - d.start_step), wall);
    if (!rc) rc = manifest(&d, "completed");
  }
  if (d.les) d.b->ops->field_destroy(d.b, d.good);
  if (d.cand) d.b->ops->field_destroy(d.b, d.cand);
  dashi_les_destroy(d.les);
  dashi_backend_destroy(d.b);
  if (d.bg_comm != MPI_COMM_NULL) MPI_Comm_free(&d.bg_comm);
  free(d.canon);
  free(d.slab);
  free(d.Ek);
  return rc;
}

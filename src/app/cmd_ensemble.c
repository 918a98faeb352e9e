/* dashi ensemble: z0 + A -> ensemble rollouts, decodes and scores (SPEC §5-§7), written to
 * DIR/ensemble.h5. With a truth file every score time is scored against the truth (truncated to
 * decode_N, and its encoding with the operator's anchors); with -kernel_only no truth is read. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy_io.h"
#include "proxy_cmd.h"

typedef struct {
  dashi_proxy_input ain, zin;
  bool two_inputs;
  dashi_truth_reader *tr;
  pc_frame_encoder fe;
  dashi_ens_run *run;
  dashi_ens_params ep;
  double *tcanon, *ztrue;
  int n;
  int64_t start, E, S;
  double t0, dt;
  bool started, kernel_only;
} ens_job;

static int open_inputs(MPI_Comm world, dashi_options *o, ens_job *j) {
  const char *af = dashi_opt_s(o, "A"), *zf = dashi_opt_s(o, "z");
  if (!af[0])
    return dashi_err(DASHI_ERR_USAGE, "dashi ensemble needs -A FILE (a proxy file with /A)");
  DASHI_CALL(dashi_pfile_read(world, af, !zf[0], true, &j->ain));
  if (zf[0] && strcmp(zf, af)) {
    DASHI_CALL(dashi_pfile_read(world, zf, true, false, &j->zin));
    j->two_inputs = true;
    DASHI_CALL(dashi_proxy_layout_compare(&j->zin.l, zf, &j->ain.l, af));
    if (j->zin.encode_every != j->ain.encode_every || j->zin.dt != j->ain.dt)
      return dashi_err(
          DASHI_ERR_INPUT,
          "%s has frames every %lld steps of dt=%g but %s was learned from frames every "
          "%lld steps of dt=%g: the operator's time step does not match",
          zf, (long long)j->zin.encode_every, j->zin.dt, af, (long long)j->ain.encode_every,
          j->ain.dt);
  }
  return 0;
}

static const dashi_proxy_input *zsrc(const ens_job *j) {
  return j->two_inputs ? &j->zin : &j->ain;
}

static int open_truth(MPI_Comm world, dashi_options *o, ens_job *j) {
  const char *tf = dashi_opt_s(o, "truth");
  if (!tf[0])
    return dashi_err(DASHI_ERR_USAGE,
                     "dashi ensemble needs -truth FILE to score against (or -kernel_only for "
                     "rollouts and decodes without a truth)");
  DASHI_CALL(dashi_truth_reader_open(world, tf, &j->tr));
  const dashi_truth_meta *m = dashi_truth_reader_meta(j->tr);
  const dashi_proxy_layout *l = &j->ain.l;
  if (m->N != l->cfg.N)
    return dashi_err(DASHI_ERR_INPUT,
                     "%s has N=%d but the proxy in %s was encoded from N=%d: use a truth of the "
                     "same grid, or re-encode and re-learn",
                     tf, m->N, j->ain.path, l->cfg.N);
  if (j->dt > 0 && fabs(m->dt - j->dt) > 1e-12 * j->dt)
    return dashi_err(DASHI_ERR_INPUT, "%s has dt=%g but the operator in %s was learned with dt=%g",
                     tf, m->dt, j->ain.path, j->dt);
  return pc_frame_encoder_open(world, m->N, &j->ain.l, &j->fe);
}

/* the rollout window and the score times, checked against the inputs before anything runs */
static int plan(dashi_options *o, ens_job *j, int64_t score_every) {
  const dashi_proxy_input *z = zsrc(j);
  j->start = dashi_opt_i(o, "start");
  int64_t k0 = dashi_proxy_input_find(z, j->start);
  if (k0 < 0)
    return dashi_err(
        DASHI_ERR_USAGE,
        "-start %lld: %s has no frame at that step (frames at steps %lld..%lld every %lld)",
        (long long)j->start, z->path, (long long)z->step[0], (long long)z->step[z->T - 1],
        (long long)j->E);
  j->t0 = z->time[k0];
  j->S = dashi_opt_i(o, "ens_steps");
  if (j->S == 0) {
    int64_t last =
        j->kernel_only
            ? z->step[z->T - 1]
            : dashi_truth_reader_meta(j->tr)->step[dashi_truth_reader_meta(j->tr)->T - 1];
    j->S = last - j->start;
    if (j->S <= 0)
      return dashi_err(DASHI_ERR_USAGE, "nothing to roll out after step %lld: give -ens_steps",
                       (long long)j->start);
    j->S -= j->S % j->E;
  }
  if (j->S < 0 || j->S % j->E)
    return dashi_err(DASHI_ERR_USAGE,
                     "-ens_steps %lld must be a non-negative multiple of encode_every = %lld",
                     (long long)j->S, (long long)j->E);
  if (score_every <= 0 || score_every % j->E)
    return dashi_err(DASHI_ERR_USAGE,
                     "-score_every %lld must be a positive multiple of encode_every = %lld",
                     (long long)score_every, (long long)j->E);
  if (!j->kernel_only)
    for (int64_t s = j->start; s <= j->start + j->S; s += j->E)
      if (s % score_every == 0 && dashi_truth_reader_find(j->tr, s) < 0)
        return dashi_err(DASHI_ERR_INPUT,
                         "%s has no snapshot at score time step %lld: choose -score_every as a "
                         "multiple of the truth's snapshot interval (%lld)",
                         dashi_truth_reader_meta(j->tr)->path, (long long)s,
                         (long long)dashi_truth_reader_meta(j->tr)->snapshot_every);
  return 0;
}

/* truth at step s: its encoding (z_true) and its truncation to decode_N, on every rank */
static int truth_at(MPI_Comm world, ens_job *j, int64_t s, double *time) {
  int64_t k = dashi_truth_reader_find(j->tr, s);
  *time = dashi_truth_reader_meta(j->tr)->time[k];
  DASHI_CALL(pc_frame_encode(&j->fe, j->tr, k, j->ztrue));
  DASHI_CALL(dashi_truncate_gather(&j->fe.g, j->fe.canon, j->n, j->tcanon, 0));
  DASHI_MPI(MPI_Bcast(j->tcanon, j->n * j->n, MPI_DOUBLE, 0, world));
  return 0;
}

static int ensemble_run(MPI_Comm world, dashi_options *o, ens_job *j, char *dir, size_t dl,
                        char *path, size_t pl) {
  DASHI_CALL(pc_check_backend(world, o, true));
  j->kernel_only = dashi_opt_b(o, "kernel_only");
  if (j->kernel_only && dashi_opt_s(o, "truth")[0])
    return dashi_err(DASHI_ERR_USAGE,
                     "-kernel_only runs without a truth: drop -truth (or -kernel_only)");
  DASHI_CALL(pc_prepare_out(world, o, "ensemble", "ensemble.h5", dir, dl, path, pl));
  j->started = true;
  DASHI_CALL(open_inputs(world, o, j));
  j->E = j->ain.encode_every > 0 ? j->ain.encode_every : 1;
  j->dt = j->ain.dt;
  if (!j->kernel_only) DASHI_CALL(open_truth(world, o, j));
  int64_t score_every = dashi_opt_i(o, "score_every");
  DASHI_CALL(plan(o, j, score_every));
  DASHI_CALL(pc_decode_n(o, &j->ain.l, &j->n));
  DASHI_CALL(pc_ens_params(o, &j->ain.l, j->n, &j->ep));
  j->ep.kernel_only = j->kernel_only;
  j->tcanon = malloc(sizeof(double) * (size_t)j->n * j->n);
  j->ztrue = malloc(sizeof(double) * (size_t)j->ain.l.D);
  DASHI_CALL(dashi_ens_run_create(world, &j->ain.l, j->ain.A, &j->ep, &j->run));
  const dashi_proxy_input *z = zsrc(j);
  int size;
  MPI_Comm_size(world, &size);
  dashi_log(world,
            "dashi ensemble: A from %s (D=%d, spectral radius %.6g), z0 = %s at step %lld; %d "
            "member(s) on %d rank(s), noise %g (%s), %lld steps, score every %lld, decode_N %d%s\n",
            j->ain.path, j->ain.l.D, j->ain.fit.spectral_radius, z->path, (long long)j->start,
            j->ep.members, size, j->ep.noise, dashi_opt_s(o, "noise_mode"), (long long)j->S,
            (long long)score_every, j->n, j->kernel_only ? ", kernel only" : "");
  DASHI_CALL(dashi_ens_run_start(
      j->run, z->z + (size_t)dashi_proxy_input_find(z, j->start) * j->ain.l.D, j->start, j->t0));
  dashi_progress prog;
  dashi_progress_start(&prog, 0);
  long long pe = dashi_opt_i(o, "progress_every");
  int64_t J = j->S / j->E;
  for (int64_t q = 0;;) {
    int64_t s = j->start + q * j->E;
    if (s % score_every == 0) {
      double time = j->t0 + (double)(s - j->start) * j->dt;
      if (!j->kernel_only) DASHI_CALL(truth_at(world, j, s, &time));
      DASHI_CALL(dashi_ens_run_score(j->run, s, time, j->kernel_only ? NULL : j->tcanon,
                                     j->kernel_only ? NULL : j->ztrue));
    }
    if (pe > 0 && q > 0 && (q % pe == 0 || q == J))
      dashi_progress_line(world, &prog, "rollout step", q, J, NULL);
    if (q == J) break;
    /* the steps up to the next score time or progress line in one call (on the GPU: one
     * recording, one wait; on the CPU: one gemm per step as always) */
    int64_t nq = q + 1;
    while (nq < J && (j->start + nq * j->E) % score_every && !(pe > 0 && nq % pe == 0)) nq++;
    DASHI_CALL(dashi_ens_run_advance_n(j->run, nq - q));
    q = nq;
  }
  return 0;
}

static int write_results(MPI_Comm world, dashi_options *o, ens_job *j, const char *path, int rc) {
  const dashi_ens_records *rec;
  DASHI_CALL(dashi_ens_run_gather(j->run, &rec));
  dashi_ens_run_print(j->run);
  dashi_proxy_file *pf;
  DASHI_CALL(dashi_pfile_create(world, path, &j->ain.l, "ensemble", o,
                                j->tr ? dashi_truth_reader_meta(j->tr)->path : "", &pf));
  char status[512];
  if (rc)
    snprintf(status, sizeof status, "failed: %.480s", dashi_err_msg());
  else
    snprintf(status, sizeof status, "complete");
  int wrc = dashi_pfile_write_ensemble(pf, rec, &j->ep, dashi_opt_s(o, "decode_residual"),
                                       dashi_opt_s(o, "noise_mode"));
  wrc = dashi_pfile_close(pf, wrc, status);
  if (!wrc)
    dashi_log(world, "  ensemble file: %s (%d score time(s))%s\n", path, rec->ns,
              rc ? " -- partial results" : "");
  return wrc;
}

int dashi_cmd_ensemble(MPI_Comm world, dashi_options *o) {
  ens_job j;
  memset(&j, 0, sizeof j);
  char dir[1024] = "", path[1200] = "";
  int rc = dashi_err_agree(world, ensemble_run(world, o, &j, dir, sizeof dir, path, sizeof path));
  if (j.run) {
    char keep[4096];
    snprintf(keep, sizeof keep, "%s", dashi_err_msg());
    int wrc = write_results(world, o, &j, path, rc);
    if (rc)
      dashi_err(rc, "%s", keep);
    else
      rc = wrc;
  }
  if (j.started) {
    cJSON *x = cJSON_CreateObject();
    const dashi_ens_records *rec = j.run ? dashi_ens_run_records(j.run) : NULL;
    if (rec && rec->ns && rec->gathered && rec->scores) {
      int t = rec->ns - 1;
      double s[2] = {0, 0};
      for (int g = 0; g < rec->M; g++)
        for (int k = 0; k < 2; k++)
          s[k] += rec->scores[((size_t)g * rec->ns + t) * DASHI_NSCORES + k] / rec->M;
      cJSON_AddNumberToObject(x, "last_step", (double)rec->step[t]);
      cJSON_AddNumberToObject(x, "rel_l2", s[0]);
      cJSON_AddNumberToObject(x, "corr", s[1]);
    }
    int rm = pc_manifest(world, o, dir, "ensemble", rc ? "failed" : "completed", "ensemble.h5", x);
    if (!rc) rc = rm;
  }
  dashi_ens_run_destroy(j.run);
  pc_frame_encoder_close(&j.fe);
  dashi_truth_reader_close(j.tr);
  dashi_proxy_input_free(&j.ain);
  dashi_proxy_input_free(&j.zin);
  free(j.tcanon), free(j.ztrue);
  return rc;
}

/* dashi encode: truth file -> proxy trajectory z (SPEC §3), written to DIR/z.h5. The snapshots are
 * read by slab, transformed on the command's ranks and encoded in distributed spectral space, the
 * same encoder the LES group runs in situ. */
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
  dashi_truth_reader *tr;
  pc_frame_encoder fe;
  dashi_proxy_layout l;
  double *z, *time;
  int64_t *step, nf, E;
  bool started; /* the output directory is ours (manifest entry) */
} encode_job;

/* frames: the snapshots at multiples of E, consecutive and complete */
static int select_frames(encode_job *j, const dashi_options *o, int64_t *idx) {
  const dashi_truth_meta *m = dashi_truth_reader_meta(j->tr);
  j->E = dashi_opt_set(o, "encode_every") ? dashi_opt_i(o, "encode_every") : m->snapshot_every;
  if (j->E <= 0)
    return dashi_err(DASHI_ERR_USAGE,
                     "-encode_every %lld: give a positive interval (the truth file %s records no "
                     "snapshot interval)",
                     (long long)j->E, m->path);
  j->nf = 0;
  for (int64_t k = 0; k < m->T; k++) {
    if (m->step[k] % j->E) continue;
    if (j->nf && m->step[k] != m->step[idx[j->nf - 1]] + j->E)
      return dashi_err(DASHI_ERR_INPUT,
                       "%s: no snapshot at step %lld between steps %lld and %lld: encoded frames "
                       "must be exactly -encode_every %lld steps apart (use a multiple of the "
                       "truth's -snapshot_every %lld)",
                       m->path, (long long)(m->step[idx[j->nf - 1]] + j->E),
                       (long long)m->step[idx[j->nf - 1]], (long long)m->step[k], (long long)j->E,
                       (long long)m->snapshot_every);
    idx[j->nf++] = k;
  }
  if (!j->nf)
    return dashi_err(DASHI_ERR_INPUT, "%s: no snapshot at a multiple of -encode_every %lld",
                     m->path, (long long)j->E);
  return 0;
}

static int encode_run(MPI_Comm world, dashi_options *o, encode_job *j, char *dir, size_t dl,
                      char *path, size_t pl) {
  DASHI_CALL(pc_check_backend(world, o, false)); /* encode runs on the CPU */
  const char *truth = dashi_opt_s(o, "truth");
  if (!truth[0]) return dashi_err(DASHI_ERR_USAGE, "dashi encode needs -truth FILE (a truth.h5)");
  DASHI_CALL(pc_prepare_out(world, o, "encode", "z.h5", dir, dl, path, pl));
  j->started = true;
  DASHI_CALL(dashi_truth_reader_open(world, truth, &j->tr));
  const dashi_truth_meta *m = dashi_truth_reader_meta(j->tr);
  dashi_proxy_config c;
  DASHI_CALL(dashi_proxy_config_from_options(o, m->N, &c));
  DASHI_CALL(dashi_proxy_layout_init(&c, &j->l));
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)(m->T + 1));
  int rc = select_frames(j, o, idx);
  if (rc) {
    free(idx);
    return rc;
  }
  rc = pc_frame_encoder_open(world, m->N, &j->l, &j->fe);
  if (rc) {
    free(idx);
    return rc;
  }
  j->z = malloc(sizeof(double) * (size_t)j->nf * j->l.D);
  j->step = malloc(sizeof(int64_t) * (size_t)j->nf);
  j->time = malloc(sizeof(double) * (size_t)j->nf);
  dashi_log(world,
            "dashi encode: %s (N=%d) -> %s: %lld frames every %lld steps, D=%d (|L|=%d, K=%d)\n",
            truth, m->N, path, (long long)j->nf, (long long)j->E, j->l.D, j->l.nL, j->l.K);
  if (j->l.K < c.topk)
    dashi_log(world,
              "  note: -topk %d exceeds the %d mid-band modes: every mid-band mode is an anchor\n",
              c.topk, j->l.nM);
  dashi_progress prog;
  dashi_progress_start(&prog, 0);
  long long pe = dashi_opt_i(o, "progress_every");
  for (int64_t f = 0; f < j->nf; f++) {
    DASHI_CALL(pc_frame_encode(&j->fe, j->tr, idx[f], j->z + (size_t)f * j->l.D));
    j->step[f] = m->step[idx[f]];
    j->time[f] = m->time[idx[f]];
    if (pe > 0 && ((f + 1) % pe == 0 || f + 1 == j->nf))
      dashi_progress_line(world, &prog, "frame", f + 1, j->nf, NULL);
  }
  free(idx);
  dashi_proxy_file *pf;
  DASHI_CALL(dashi_pfile_create(world, path, &j->l, "encode", o, truth, &pf));
  rc = dashi_pfile_write_z(pf, j->nf, j->z, j->step, j->time, j->E, m->dt);
  DASHI_CALL(dashi_pfile_close(pf, rc, "complete"));
  int hdr = dashi_z_hdr(&j->l);
  const double *zl = j->z + (size_t)(j->nf - 1) * j->l.D;
  dashi_log(world,
            "dashi encode finished: %lld frames (steps %lld..%lld), D=%d\n  last frame: support "
            "%.4f, E_mid %.4g, E_high %.4g\n  proxy file: %s\n",
            (long long)j->nf, (long long)j->step[0], (long long)j->step[j->nf - 1], j->l.D,
            zl[hdr + DASHI_HDR_SUPPORT], zl[hdr + DASHI_HDR_EMID], zl[hdr + DASHI_HDR_EHIGH], path);
  return 0;
}

int dashi_cmd_encode(MPI_Comm world, dashi_options *o) {
  encode_job j;
  memset(&j, 0, sizeof j);
  char dir[1024] = "", path[1200] = "";
  int rc = dashi_err_agree(world, encode_run(world, o, &j, dir, sizeof dir, path, sizeof path));
  if (j.started) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "frames", (double)j.nf);
    cJSON_AddNumberToObject(x, "D", j.l.D);
    int rm = pc_manifest(world, o, dir, "encode", rc ? "failed" : "completed", "z.h5", x);
    if (!rc) rc = rm;
  }
  pc_frame_encoder_close(&j.fe);
  dashi_truth_reader_close(j.tr);
  dashi_proxy_layout_free(&j.l);
  free(j.z), free(j.step), free(j.time);
  return rc;
}

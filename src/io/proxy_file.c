/* Proxy files (format dashi-proxy-1, docs/proxy.md): configuration and anchors, the encoded
 * trajectory /z, the learned operator /A with its fit report, and the ensemble records. Written
 * with parallel HDF5 on the proxy communicator: datasets are created collectively and written
 * collectively by rank 0 (the records are O(members x score times)). Also the reader of truth
 * snapshots used by `dashi encode` and `dashi ensemble`. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/proxy_io.h"
#include "h5util.h"

/* ================= truth snapshots ================= */

struct dashi_truth_reader {
  dashi_truth_meta m;
  hid_t f, d;
};

static int read_1d(hid_t f, const char *name, hid_t mt, void *buf, hsize_t n) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return -1;
  herr_t e = n ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
  H5Dclose(d);
  return e < 0 ? -1 : 0;
}

int dashi_truth_reader_open(MPI_Comm comm, const char *path, dashi_truth_reader **out) {
  if (!dashi_path_exists(path))
    return dashi_err(DASHI_ERR_INPUT, "truth file %s does not exist (give it with -truth FILE)",
                     path);
  dashi_truth_reader *t = calloc(1, sizeof *t);
  snprintf(t->m.path, sizeof t->m.path, "%s", path);
  t->f = dashi_h5_open(comm, path, H5F_ACC_RDONLY);
  t->d = -1;
  int rc = 0;
  char sid[128] = "";
  int64_t N = 0;
  if (t->f < 0)
    rc = dashi_err(DASHI_ERR_INPUT, "%s is not an HDF5 file (or is damaged)", path);
  else if (!dashi_h5_read_attr_str(t->f, "solver_id", sid, sizeof sid) ||
           !dashi_h5_read_attr_i64(t->f, "N", &N) || !dashi_h5_read_attr_f64(t->f, "dt", &t->m.dt))
    rc = dashi_err(DASHI_ERR_INPUT,
                   "%s is not a dashi truth file (root attributes solver_id, N, dt missing)", path);
  else if (H5Lexists(t->f, "/snapshots", H5P_DEFAULT) <= 0 ||
           H5Lexists(t->f, "/snapshots/omega", H5P_DEFAULT) <= 0)
    rc = dashi_err(DASHI_ERR_INPUT, "%s has no /snapshots/omega", path);
  if (!rc) {
    t->m.N = (int)N;
    if (!dashi_h5_read_attr_i64(t->f, "snapshot_every", &t->m.snapshot_every))
      t->m.snapshot_every = 0;
    t->d = H5Dopen2(t->f, "/snapshots/omega", H5P_DEFAULT);
    hid_t sp = H5Dget_space(t->d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = H5Sget_simple_extent_ndims(sp);
    if (rank == 3) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    if (rank != 3 || dims[1] != (hsize_t)N || dims[2] != (hsize_t)N)
      rc = dashi_err(DASHI_ERR_INPUT, "%s:/snapshots/omega is not [T, N, N] with N=%lld", path,
                     (long long)N);
    t->m.T = (int64_t)dims[0];
  }
  if (!rc) {
    t->m.step = malloc(sizeof(int64_t) * (size_t)(t->m.T + 1));
    t->m.time = malloc(sizeof(double) * (size_t)(t->m.T + 1));
    if (read_1d(t->f, "/snapshots/step", H5T_NATIVE_INT64, t->m.step, (hsize_t)t->m.T) ||
        read_1d(t->f, "/snapshots/time", H5T_NATIVE_DOUBLE, t->m.time, (hsize_t)t->m.T))
      rc = dashi_err(DASHI_ERR_INPUT, "%s: /snapshots/step or /snapshots/time unreadable", path);
  }
  if (rc) {
    dashi_truth_reader_close(t);
    return rc;
  }
  *out = t;
  return 0;
}

const dashi_truth_meta *dashi_truth_reader_meta(const dashi_truth_reader *t) {
  return &t->m;
}

int64_t dashi_truth_reader_find(const dashi_truth_reader *t, int64_t step) {
  for (int64_t k = 0; k < t->m.T; k++)
    if (t->m.step[k] == step) return k;
  return -1;
}

int dashi_truth_reader_read(dashi_truth_reader *t, int64_t k, const dashi_grid *g, double *slab) {
  if (k < 0 || k >= t->m.T)
    return dashi_err(DASHI_ERR_INPUT, "%s: snapshot %lld out of range (T=%lld)", t->m.path,
                     (long long)k, (long long)t->m.T);
  hid_t fs = H5Dget_space(t->d);
  hsize_t start[3] = {(hsize_t)k, (hsize_t)g->x0, 0}, count[3] = {1, (hsize_t)g->nx, (hsize_t)g->N};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t ms = H5Screate_simple(3, count, NULL), x = dashi_h5_dxpl_collective();
  herr_t e = H5Dread(t->d, H5T_NATIVE_DOUBLE, ms, fs, x, slab);
  H5Pclose(x);
  H5Sclose(ms);
  H5Sclose(fs);
  int rc =
      e < 0 ? dashi_err(DASHI_ERR_INPUT, "%s: cannot read snapshot %lld", t->m.path, (long long)k)
            : 0;
  if (!rc) {
    long long bad = 0, tot;
    for (size_t q = 0; q < (size_t)g->nx * g->N; q++) bad += !isfinite(slab[q]);
    MPI_Allreduce(&bad, &tot, 1, MPI_LONG_LONG, MPI_SUM, g->comm);
    if (tot)
      rc = dashi_err(DASHI_ERR_INPUT, "%s: snapshot %lld (step %lld) holds %lld non-finite values",
                     t->m.path, (long long)k, (long long)t->m.step[k], tot);
  }
  return dashi_err_agree(g->comm, rc);
}

void dashi_truth_reader_close(dashi_truth_reader *t) {
  if (!t) return;
  if (t->d >= 0) H5Dclose(t->d);
  if (t->f >= 0) H5Fclose(t->f);
  free(t->m.step);
  free(t->m.time);
  free(t);
}

/* ================= proxy file: writing ================= */

struct dashi_proxy_file {
  MPI_Comm comm;
  int rank;
  hid_t f;
  char path[1024];
};

/* fixed-size dataset created collectively, written by rank 0 (data read only there) */
static int put(dashi_proxy_file *pf, hid_t loc, const char *name, hid_t type, int rank,
               const hsize_t *dims, const void *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = d < 0 ? -1 : 0;
  hsize_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  if (d >= 0 && n > 0) {
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, dims, NULL);
    if (pf->rank) H5Sselect_none(fs), H5Sselect_none(ms);
    hid_t x = dashi_h5_dxpl_collective();
    e = H5Dwrite(d, type, ms, fs, x, data);
    H5Pclose(x);
    H5Sclose(ms);
    H5Sclose(fs);
  }
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  return e < 0 ? dashi_err(DASHI_ERR_IO, "%s: cannot write dataset %s", pf->path, name) : 0;
}

static hid_t group(hid_t loc, const char *name) {
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0) return H5Gopen2(loc, name, H5P_DEFAULT);
  return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

static int put_modes(dashi_proxy_file *pf, const char *name, int n, const dashi_mode *m) {
  int *buf = malloc(sizeof(int) * 2 * (size_t)(n + 1));
  for (int i = 0; i < n; i++) buf[2 * i] = m[i].kx, buf[2 * i + 1] = m[i].ky;
  hsize_t dims[2] = {(hsize_t)n, 2};
  int rc = put(pf, pf->f, name, H5T_NATIVE_INT, 2, dims, buf);
  free(buf);
  return rc;
}

int dashi_pfile_create(MPI_Comm comm, const char *path, const dashi_proxy_layout *l,
                       const char *command, const dashi_options *o, const char *truth_path,
                       dashi_proxy_file **out) {
  if (!l->frozen)
    return dashi_err(DASHI_ERR_GENERIC, "internal error: proxy file %s before the anchors are set",
                     path);
  dashi_proxy_file *pf = calloc(1, sizeof *pf);
  pf->comm = comm;
  MPI_Comm_rank(comm, &pf->rank);
  snprintf(pf->path, sizeof pf->path, "%s", path);
  pf->f = dashi_h5_create(comm, path);
  if (pf->f < 0) {
    free(pf);
    return dashi_err(DASHI_ERR_IO, "cannot create proxy file %s", path);
  }
  char *cj = dashi_proxy_config_json(l);
  char stamp[64];
  time_t now = time(NULL);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  int rc = dashi_h5_attr_str(pf->f, "format", "dashi-proxy-1");
  if (!rc) rc = dashi_h5_attr_str(pf->f, "proxy_id", DASHI_PROXY_ID);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "proxy_config", cj);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "command", command);
  char *oj = dashi_options_json(o);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "options", oj);
  free(oj);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "truth_file", truth_path ? truth_path : "");
  if (!rc) rc = dashi_h5_attr_str(pf->f, "solver_id", "spectral_les_v1");
  if (!rc) rc = dashi_h5_attr_str(pf->f, "git_revision", DASHI_GIT_REV);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "created", stamp);
  if (!rc) rc = dashi_h5_attr_str(pf->f, "status", "writing");
  const char *ik[] = {"N", "k_cut", "mid_cut", "topk", "smooth_k", "nL", "nM", "K", "D"};
  int iv[] = {l->cfg.N, l->cfg.k_cut, l->cfg.mid_cut, l->cfg.topk, l->cfg.smooth_k,
              l->nL,    l->nM,        l->K,           l->D};
  for (size_t i = 0; i < sizeof ik / sizeof ik[0] && !rc; i++)
    rc = dashi_h5_attr_i64(pf->f, ik[i], iv[i]);
  if (!rc) rc = dashi_h5_attr_f64(pf->f, "tau", l->cfg.tau);
  free(cj);
  if (!rc) rc = put_modes(pf, "lowk_modes", l->nL, l->L);
  if (!rc) rc = put_modes(pf, "anchors", l->K, l->anchors);
  if (rc) {
    H5Fclose(pf->f);
    free(pf);
    return rc;
  }
  *out = pf;
  return 0;
}

int dashi_pfile_write_z(dashi_proxy_file *pf, int64_t T, const double *z, const int64_t *step,
                        const double *time, int64_t encode_every, double dt) {
  int64_t D = 0;
  dashi_h5_read_attr_i64(pf->f, "D", &D);
  hsize_t d2[2] = {(hsize_t)T, (hsize_t)D}, d1[1] = {(hsize_t)T};
  DASHI_CALL(put(pf, pf->f, "z", H5T_NATIVE_DOUBLE, 2, d2, z));
  DASHI_CALL(put(pf, pf->f, "z_step", H5T_NATIVE_INT64, 1, d1, step));
  DASHI_CALL(put(pf, pf->f, "z_time", H5T_NATIVE_DOUBLE, 1, d1, time));
  hid_t d = H5Dopen2(pf->f, "z", H5P_DEFAULT);
  int rc = dashi_h5_attr_i64(d, "encode_every", encode_every);
  if (!rc) rc = dashi_h5_attr_f64(d, "dt", dt);
  if (!rc)
    rc = dashi_h5_attr_str(d, "layout",
                           "[Re lowk(lowk_modes), Im lowk, support_frac, E_mid, E_high, K, "
                           "Re kept(anchors), Im kept]; coefficients are w_hat/N^2");
  H5Dclose(d);
  return rc;
}

int dashi_pfile_write_A(dashi_proxy_file *pf, const double *A, const dashi_fit_report *r,
                        int64_t first_step, int64_t last_step, const char *source,
                        int64_t encode_every, double dt) {
  hsize_t dims[2] = {(hsize_t)r->D, (hsize_t)r->D};
  DASHI_CALL(put(pf, pf->f, "A", H5T_NATIVE_DOUBLE, 2, dims, A));
  hid_t d = H5Dopen2(pf->f, "A", H5P_DEFAULT);
  int rc = dashi_h5_attr_str(d, "convention",
                             "row vectors: z_{t+1} = z_t A (z_t sampled every "
                             "encode_every LES steps)");
  const char *fk[] = {"ridge", "lambda",  "residual", "rel_residual", "spectral_radius",
                      "cond",  "eig_min", "eig_max",  "seconds",      "dt"};
  double fv[] = {r->ridge, r->lambda,  r->residual, r->rel_residual, r->spectral_radius,
                 r->cond,  r->eig_min, r->eig_max,  r->seconds,      dt};
  for (size_t i = 0; i < sizeof fk / sizeof fk[0] && !rc; i++)
    rc = dashi_h5_attr_f64(d, fk[i], fv[i]);
  const char *ik[] = {"pairs",           "rank",        "rank_deficient",
                      "zero_columns",    "standardize", "train_first_step",
                      "train_last_step", "encode_every"};
  int64_t iv[] = {r->T,           r->rank,    r->rank_deficient, r->zero_columns,
                  r->standardize, first_step, last_step,         encode_every};
  for (size_t i = 0; i < sizeof ik / sizeof ik[0] && !rc; i++)
    rc = dashi_h5_attr_i64(d, ik[i], iv[i]);
  if (!rc) rc = dashi_h5_attr_str(d, "z_source", source ? source : "");
  H5Dclose(d);
  return rc;
}

/* [M][T][nk] records -> one [M, T] dataset per column k */
static int put_columns(dashi_proxy_file *pf, hid_t g, int M, int T, int nk, const double *rec,
                       const char *const *names, bool flat) {
  double *buf = malloc(sizeof(double) * ((size_t)M * T + 1));
  int rc = 0;
  for (int k = 0; k < nk && !rc; k++) {
    if (pf->rank == 0)
      for (size_t q = 0; q < (size_t)M * T; q++) buf[q] = rec[q * nk + k];
    hsize_t dims[2] = {(hsize_t)M, (hsize_t)T};
    rc = put(pf, g, names[k], H5T_NATIVE_DOUBLE, flat ? 1 : 2, flat ? dims + 1 : dims, buf);
  }
  free(buf);
  return rc;
}

int dashi_pfile_write_ensemble(dashi_proxy_file *pf, const dashi_ens_records *rec,
                               const dashi_ens_params *p, const char *residual_mode,
                               const char *noise_mode) {
  int T = rec->ns, M = rec->M, D = rec->D, n = rec->n;
  hid_t e = group(pf->f, "ensemble");
  int rc = 0;
  const char *ik[] = {"members",    "decode_N",     "plateau",     "annihilate_iters",
                      "start_step", "save_decoded", "kernel_only", "seed"};
  int64_t iv[] = {M,
                  n,
                  p->dp.plateau,
                  p->dp.iters,
                  rec->start_step,
                  rec->nsave,
                  p->kernel_only,
                  (int64_t)p->seed};
  for (size_t i = 0; i < sizeof ik / sizeof ik[0] && !rc; i++)
    rc = dashi_h5_attr_i64(e, ik[i], iv[i]);
  if (!rc) rc = dashi_h5_attr_f64(e, "noise", p->noise);
  if (!rc) rc = dashi_h5_attr_f64(e, "tau", p->dp.tau);
  if (!rc) rc = dashi_h5_attr_f64(e, "start_time", rec->start_time);
  if (!rc) rc = dashi_h5_attr_str(e, "noise_mode", noise_mode);
  if (!rc) rc = dashi_h5_attr_str(e, "decode_residual", residual_mode);
  hsize_t d1[1] = {(hsize_t)T}, dD[1] = {(hsize_t)D}, dTD[2] = {(hsize_t)T, (hsize_t)D};
  if (!rc) rc = put(pf, e, "step", H5T_NATIVE_INT64, 1, d1, rec->step);
  if (!rc) rc = put(pf, e, "time", H5T_NATIVE_DOUBLE, 1, d1, rec->time);
  if (!rc) rc = put(pf, e, "z0", H5T_NATIVE_DOUBLE, 1, dD, rec->z0);
  if (!rc) rc = put(pf, e, "z_mean", H5T_NATIVE_DOUBLE, 2, dTD, rec->z_mean);
  if (!rc && !p->kernel_only) rc = put(pf, e, "z_true", H5T_NATIVE_DOUBLE, 2, dTD, rec->z_true);
  hid_t gs = group(e, "scores"), gc = group(e, "carrier");
  if (!rc && !p->kernel_only)
    rc = put_columns(pf, gs, M, T, DASHI_NSCORES, rec->scores, dashi_score_names, false);
  if (!rc) rc = put_columns(pf, gc, M, T, DASHI_NCSTATS, rec->cstats, dashi_cstat_names, false);
  hsize_t dh[3] = {(hsize_t)M, (hsize_t)T, (hsize_t)rec->iters};
  if (!rc) rc = put(pf, gc, "history", H5T_NATIVE_INT, 3, dh, rec->history);
  if (!rc)
    rc = dashi_h5_attr_str(gc, "history_meaning",
                           "cells switched off per annihilation "
                           "iteration (-1: iteration not run)");
  H5Gclose(gs);
  H5Gclose(gc);
  if (!rc && !p->kernel_only) {
    hid_t gb = group(e, "baselines");
    const char *bn[2] = {"persistence", "encode_decode"};
    for (int b = 0; b < 2 && !rc; b++) {
      hid_t g = group(gb, bn[b]);
      rc = put_columns(pf, g, 1, T, DASHI_NSCORES, rec->base_scores + (size_t)b * T * DASHI_NSCORES,
                       dashi_score_names, true);
      hid_t gcb = group(g, "carrier");
      if (!rc)
        rc = put_columns(pf, gcb, 1, T, DASHI_NCSTATS,
                         rec->base_cstats + (size_t)b * T * DASHI_NCSTATS, dashi_cstat_names, true);
      H5Gclose(gcb);
      H5Gclose(g);
    }
    H5Gclose(gb);
  }
  if (!rc && rec->nsave) {
    hsize_t dd[4] = {(hsize_t)T, (hsize_t)rec->nsave, (hsize_t)n, (hsize_t)n};
    rc = put(pf, e, "decoded", H5T_NATIVE_DOUBLE, 4, dd, rec->decoded);
    hsize_t dt[3] = {(hsize_t)T, (hsize_t)n, (hsize_t)n};
    if (!rc && !p->kernel_only) rc = put(pf, e, "truth", H5T_NATIVE_DOUBLE, 3, dt, rec->truth);
  }
  H5Gclose(e);
  return rc;
}

int dashi_pfile_close(dashi_proxy_file *pf, int rc, const char *status) {
  if (!pf) return rc;
  if (!rc) rc = dashi_h5_attr_str(pf->f, "status", status);
  if (H5Fclose(pf->f) < 0 && !rc)
    rc = dashi_err(DASHI_ERR_IO, "closing proxy file %s failed", pf->path);
  free(pf);
  return rc;
}

/* ================= proxy file: reading ================= */

static int read_modes(hid_t f, const char *path, const char *name, int n, dashi_mode *m) {
  hid_t d = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
  if (d < 0) return dashi_err(DASHI_ERR_INPUT, "%s has no /%s", path, name);
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  int rank = H5Sget_simple_extent_ndims(sp);
  if (rank == 2) H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  int rc = 0;
  if (rank != 2 || dims[0] != (hsize_t)n || dims[1] != 2)
    rc = dashi_err(DASHI_ERR_INPUT, "%s: /%s is not [%d, 2] as its configuration implies", path,
                   name, n);
  int *buf = malloc(sizeof(int) * 2 * (size_t)(n + 1));
  if (!rc && n && H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    rc = dashi_err(DASHI_ERR_INPUT, "%s: cannot read /%s", path, name);
  for (int i = 0; i < n && !rc; i++) m[i] = (dashi_mode){buf[2 * i], buf[2 * i + 1]};
  free(buf);
  H5Dclose(d);
  return rc;
}

static int dims_of(hid_t f, const char *name, int want_rank, hsize_t *dims) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  int rank = H5Sget_simple_extent_ndims(sp);
  if (rank == want_rank) H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  H5Dclose(d);
  return rank == want_rank ? 0 : -1;
}

static int read_body(hid_t f, const char *path, bool need_z, bool need_A, dashi_proxy_input *in) {
  char fmt[64] = "", pid[64] = "";
  if (!dashi_h5_read_attr_str(f, "format", fmt, sizeof fmt) || strcmp(fmt, "dashi-proxy-1"))
    return dashi_err(DASHI_ERR_INPUT, "%s is not a dashi proxy file (format attribute '%s')", path,
                     fmt);
  if (!dashi_h5_read_attr_str(f, "proxy_id", pid, sizeof pid) || strcmp(pid, DASHI_PROXY_ID))
    return dashi_err(DASHI_ERR_INPUT, "%s holds proxy '%s'; this dashi reads %s", path, pid,
                     DASHI_PROXY_ID);
  dashi_h5_read_attr_str(f, "truth_file", in->truth, sizeof in->truth);
  dashi_h5_read_attr_str(f, "command", in->command, sizeof in->command);
  int64_t v[8];
  const char *ik[] = {"N", "k_cut", "mid_cut", "topk", "smooth_k", "K", "D"};
  for (int i = 0; i < 7; i++)
    if (!dashi_h5_read_attr_i64(f, ik[i], &v[i]))
      return dashi_err(DASHI_ERR_INPUT, "%s: root attribute %s missing", path, ik[i]);
  dashi_proxy_config c = {.N = (int)v[0],
                          .k_cut = (int)v[1],
                          .mid_cut = (int)v[2],
                          .topk = (int)v[3],
                          .smooth_k = (int)v[4]};
  if (!dashi_h5_read_attr_f64(f, "tau", &c.tau))
    return dashi_err(DASHI_ERR_INPUT, "%s: root attribute tau missing", path);
  int rc = dashi_proxy_layout_init(&c, &in->l);
  if (rc)
    return dashi_err(DASHI_ERR_INPUT, "%s: invalid proxy configuration: %s", path, dashi_err_msg());
  if (in->l.K != v[5] || in->l.D != v[6])
    return dashi_err(DASHI_ERR_INPUT,
                     "%s: K=%lld, D=%lld disagree with its configuration (K=%d, D=%d)", path,
                     (long long)v[5], (long long)v[6], in->l.K, in->l.D);
  dashi_mode *a = malloc(sizeof *a * (size_t)(in->l.K + 1));
  rc = read_modes(f, path, "anchors", in->l.K, a);
  if (!rc) rc = dashi_proxy_layout_set_anchors(&in->l, in->l.K, a);
  free(a);
  DASHI_CALL(rc);
  const int D = in->l.D;
  hsize_t dims[2];
  if (H5Lexists(f, "z", H5P_DEFAULT) > 0) {
    if (dims_of(f, "z", 2, dims) || dims[1] != (hsize_t)D)
      return dashi_err(DASHI_ERR_INPUT, "%s: /z is not [T, D=%d]", path, D);
    in->T = (int64_t)dims[0];
    in->z = malloc(sizeof(double) * ((size_t)in->T * D + 1));
    in->step = malloc(sizeof(int64_t) * (size_t)(in->T + 1));
    in->time = malloc(sizeof(double) * (size_t)(in->T + 1));
    if (read_1d(f, "z", H5T_NATIVE_DOUBLE, in->z, (hsize_t)in->T) ||
        read_1d(f, "z_step", H5T_NATIVE_INT64, in->step, (hsize_t)in->T) ||
        read_1d(f, "z_time", H5T_NATIVE_DOUBLE, in->time, (hsize_t)in->T))
      return dashi_err(DASHI_ERR_INPUT, "%s: cannot read /z, /z_step or /z_time", path);
    hid_t d = H5Dopen2(f, "z", H5P_DEFAULT);
    dashi_h5_read_attr_i64(d, "encode_every", &in->encode_every);
    dashi_h5_read_attr_f64(d, "dt", &in->dt);
    H5Dclose(d);
  } else if (need_z) {
    return dashi_err(DASHI_ERR_INPUT,
                     "%s has no encoded trajectory /z (make one with dashi encode)", path);
  }
  if (H5Lexists(f, "A", H5P_DEFAULT) > 0) {
    if (dims_of(f, "A", 2, dims) || dims[0] != (hsize_t)D || dims[1] != (hsize_t)D)
      return dashi_err(DASHI_ERR_INPUT, "%s: /A is not [D, D] with D=%d", path, D);
    in->A = malloc(sizeof(double) * (size_t)D * D);
    if (read_1d(f, "A", H5T_NATIVE_DOUBLE, in->A, 1))
      return dashi_err(DASHI_ERR_INPUT, "%s: cannot read /A", path);
    hid_t d = H5Dopen2(f, "A", H5P_DEFAULT);
    dashi_fit_report *r = &in->fit;
    r->D = D;
    int64_t x = 0, ee = 0;
    dashi_h5_read_attr_i64(d, "pairs", &x), r->T = (int)x;
    dashi_h5_read_attr_i64(d, "rank", &x), r->rank = (int)x;
    dashi_h5_read_attr_i64(d, "rank_deficient", &x), r->rank_deficient = x;
    dashi_h5_read_attr_i64(d, "standardize", &x), r->standardize = x;
    dashi_h5_read_attr_f64(d, "ridge", &r->ridge);
    dashi_h5_read_attr_f64(d, "lambda", &r->lambda);
    dashi_h5_read_attr_f64(d, "residual", &r->residual);
    dashi_h5_read_attr_f64(d, "rel_residual", &r->rel_residual);
    dashi_h5_read_attr_f64(d, "spectral_radius", &r->spectral_radius);
    dashi_h5_read_attr_f64(d, "cond", &r->cond);
    dashi_h5_read_attr_i64(d, "train_first_step", &in->train_first);
    dashi_h5_read_attr_i64(d, "train_last_step", &in->train_last);
    double dt = 0;
    if (dashi_h5_read_attr_i64(d, "encode_every", &ee) && !in->encode_every) in->encode_every = ee;
    if (dashi_h5_read_attr_f64(d, "dt", &dt) && !in->dt) in->dt = dt;
    H5Dclose(d);
    in->has_A = true;
    for (size_t k = 0; k < (size_t)D * D; k++)
      if (!isfinite(in->A[k]))
        return dashi_err(DASHI_ERR_INPUT, "%s: /A has non-finite entries", path);
  } else if (need_A) {
    return dashi_err(DASHI_ERR_INPUT, "%s has no learned operator /A (make one with dashi learn)",
                     path);
  }
  return 0;
}

int dashi_pfile_read(MPI_Comm comm, const char *path, bool need_z, bool need_A,
                     dashi_proxy_input *in) {
  memset(in, 0, sizeof *in);
  snprintf(in->path, sizeof in->path, "%s", path);
  if (!path[0]) return dashi_err(DASHI_ERR_USAGE, "no proxy file given");
  if (!dashi_path_exists(path))
    return dashi_err(DASHI_ERR_INPUT, "proxy file %s does not exist", path);
  hid_t f = dashi_h5_open(comm, path, H5F_ACC_RDONLY);
  if (f < 0) return dashi_err(DASHI_ERR_INPUT, "%s is not an HDF5 file (or is damaged)", path);
  int rc = read_body(f, path, need_z, need_A, in);
  H5Fclose(f);
  return dashi_err_agree(comm, rc);
}

void dashi_proxy_input_free(dashi_proxy_input *in) {
  dashi_proxy_layout_free(&in->l);
  free(in->z);
  free(in->step);
  free(in->time);
  free(in->A);
  memset(in, 0, sizeof *in);
}

int64_t dashi_proxy_input_find(const dashi_proxy_input *in, int64_t step) {
  for (int64_t k = 0; k < in->T; k++)
    if (in->step[k] == step) return k;
  return -1;
}

/* Truth file (SPEC §8): provenance attributes, extendible diagnostics, spectra and snapshots
 * written collectively by slab, and an XDMF sidecar rewritten after every snapshot.
 * Diagnostics records are held in memory and written DIAG_ROWS at a time, or when DIAG_HOLD_S of
 * wall time have passed since the last write, and always before a snapshot, when the driver asks
 * (dashi_truth_flush: before every checkpoint) and at close (every way a run ends that reaches
 * it): ten collective appends and a flush per record cost ~0.3-1 ms, several GPU steps at small N
 * (docs/file-formats.md).
 * With dashi_truth_set_async a snapshot is written by a second thread (the driver's slab is the
 * writer's until dashi_truth_wait), while the time loop goes on: its H5Dwrite, H5Fflush (an
 * MPI_File_sync) and XDMF rewrite take longer than a hundred GPU steps at N = 4096. HDF5 is not
 * built thread-safe: every other function here waits for the writer before it calls HDF5, and the
 * driver writes no other HDF5 file meanwhile (its checkpoints flush this file first). */
#include <cJSON.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/log.h"
#include "h5util.h"

static const char *diag_names[] = {"time",      "step", "E",         "Z",      "P",
                                   "max_omega", "cfl",  "nu_t_mean", "diss_Z", "inj_Z"};
enum { NDIAG = 10, DIAG_ROWS = 128 };
#define DIAG_HOLD_S 1.0

struct dashi_truth_file {
  const dashi_grid *g;
  bool single;
  hid_t file, diag[NDIAG], spectra, spectra_time, spectra_step, omega, snap_time, snap_step;
  char path[1024], xmf[1100];
  /* diagnostics records not yet written: pend[k][r] (k = 1, the step, in pend_step) */
  double pend[NDIAG][DIAG_ROWS], last_write;
  int64_t pend_step[DIAG_ROWS];
  int npend;
  /* the background writer (async): one job at a time, a snapshot of this file or another file's
   * write (dashi_truth_background: a checkpoint); the job's inputs, its result and the totals */
  bool async, busy, job_ours; /* job_ours: the job writes this file (its failure breaks it) */
  bool threaded;              /* busy: the job runs in `writer` (else it ran here, see start_job) */
  atomic_bool job_done;       /* set by the writer when its job is over (no wait needed) */
  pthread_t writer;
  int (*job_fn)(void *);
  void *job_arg;
  int (*then_fn)(void *); /* after the snapshot, in the same job (a checkpoint), or NULL */
  void *then_arg;
  const void *job_slab;
  bool job_single; /* job_slab holds floats */
  double job_time, job_secs;
  int64_t job_step;
  int job_rc;
  char job_msg[1024];
  int n_async, n_other;
  double write_s, wait_s;
  /* a write failed (on some rank): HDF5 is not called on this file again, not even to close it
   * (closing a file whose writes fail crashes the library at MPI_Finalize: dashi_h5_abandon) */
  bool broken;
  bool full; /* a snapshot was refused before any write: it would not fit (room_for) */
};

static int wait_writer(dashi_truth_file *t);

/* a write of the truth file failed on this rank: the message names it, the file, HDF5's cause and
 * the usual remedies */
static int write_failed(dashi_truth_file *t, const char *what, int rc) {
  if (!rc) return 0;
  char first[1024], h5[256];
  snprintf(first, sizeof first, "%s", dashi_err_msg());
  dashi_h5_error_detail(h5, sizeof h5);
  return dashi_err(DASHI_ERR_IO,
                   "writing %s to the truth file %s failed: %s; HDF5: %s (a full file system, or "
                   "a limit on file size: ulimit -f)",
                   what, t->path, first, h5);
}

/* collective: a failure on any rank is every rank's, and the file is not written again */
static int agreed(dashi_truth_file *t, int rc) {
  rc = dashi_err_agree(t->g->comm, rc);
  if (rc) t->broken = true;
  return rc;
}

static hid_t diag_type(int k) {
  return k == 1 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
}

static int write_option_attrs(hid_t f, const dashi_options *o) {
  for (int k = 0; k < o->n; k++) {
    const dashi_opt_value *v = &o->v[k];
    switch (v->def->type) {
    case DASHI_OPT_INT:
    case DASHI_OPT_BOOL:
      DASHI_CALL(dashi_h5_attr_i64(f, v->def->name, v->i));
      break;
    case DASHI_OPT_REAL:
      DASHI_CALL(dashi_h5_attr_f64(f, v->def->name, v->r));
      break;
    case DASHI_OPT_STRING:
      DASHI_CALL(dashi_h5_attr_str(f, v->def->name, v->s));
      break;
    }
  }
  return 0;
}

static void xmf_path(dashi_truth_file *t) {
  snprintf(t->xmf, sizeof t->xmf, "%s", t->path);
  char *dot = strrchr(t->xmf, '.');
  if (dot) strcpy(dot, ".xmf");
}

/* XDMF sidecar: a temporal collection of 2DCoRectMesh grids, each a hyperslab of /snapshots/omega
 */
static int write_xdmf(dashi_truth_file *t) {
  if (t->g->rank) return 0;
  hsize_t T = dashi_h5_extent0(t->snap_time);
  double *times = malloc(sizeof(double) * (T ? T : 1));
  if (T && H5Dread(t->snap_time, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, times) < 0) {
    free(times);
    return dashi_err(DASHI_ERR_IO, "cannot read /snapshots/time of %s for the XDMF file", t->path);
  }
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", t->xmf);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    free(times);
    return dashi_err(DASHI_ERR_IO, "cannot write %s", tmp);
  }
  char base[1024];
  snprintf(base, sizeof base, "%s", t->path);
  const char *h5name = basename(base);
  int N = t->g->N;
  fprintf(f, "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n"
             "  <Grid Name=\"vorticity\" GridType=\"Collection\" CollectionType=\"Temporal\">\n");
  for (hsize_t k = 0; k < T; k++) {
    fprintf(f,
            "   <Grid Name=\"omega_%llu\" GridType=\"Uniform\">\n    <Time Value=\"%.17g\"/>\n"
            "    <Topology TopologyType=\"2DCoRectMesh\" Dimensions=\"%d %d\"/>\n"
            "    <Geometry GeometryType=\"ORIGIN_DXDY\">\n"
            "     <DataItem Dimensions=\"2\" NumberType=\"Float\" Format=\"XML\">0 0</DataItem>\n"
            "     <DataItem Dimensions=\"2\" NumberType=\"Float\" Format=\"XML\">%.17g "
            "%.17g</DataItem>\n"
            "    </Geometry>\n"
            "    <Attribute Name=\"omega\" AttributeType=\"Scalar\" Center=\"Node\">\n"
            "     <DataItem ItemType=\"HyperSlab\" Dimensions=\"%d %d\">\n"
            "      <DataItem Dimensions=\"3 3\" Format=\"XML\">%llu 0 0 1 1 1 1 %d %d</DataItem>\n"
            "      <DataItem Dimensions=\"%llu %d %d\" NumberType=\"Float\" Precision=\"%d\" "
            "Format=\"HDF\">%s:/snapshots/omega</DataItem>\n"
            "     </DataItem>\n    </Attribute>\n   </Grid>\n",
            (unsigned long long)k, times[k], N, N, t->g->dx, t->g->dx, N, N, (unsigned long long)k,
            N, N, (unsigned long long)T, N, N, t->single ? 4 : 8, h5name);
  }
  fprintf(f, "  </Grid>\n </Domain>\n</Xdmf>\n");
  free(times);
  if (fclose(f) || rename(tmp, t->xmf)) return dashi_err(DASHI_ERR_IO, "cannot write %s", t->xmf);
  return 0;
}

static int open_datasets(dashi_truth_file *t) {
  for (int k = 0; k < NDIAG; k++) {
    char p[64];
    snprintf(p, sizeof p, "/diagnostics/%s", diag_names[k]);
    t->diag[k] = H5Dopen2(t->file, p, H5P_DEFAULT);
  }
  t->spectra = H5Dopen2(t->file, "/spectra", H5P_DEFAULT);
  t->spectra_time = H5Dopen2(t->file, "/spectra_time", H5P_DEFAULT);
  t->spectra_step = H5Dopen2(t->file, "/spectra_step", H5P_DEFAULT);
  t->omega = H5Dopen2(t->file, "/snapshots/omega", H5P_DEFAULT);
  t->snap_time = H5Dopen2(t->file, "/snapshots/time", H5P_DEFAULT);
  t->snap_step = H5Dopen2(t->file, "/snapshots/step", H5P_DEFAULT);
  if (t->omega < 0 || t->spectra < 0 || t->diag[0] < 0)
    return dashi_err(DASHI_ERR_INPUT, "%s is not a dashi truth file (datasets missing)", t->path);
  return 0;
}

int dashi_truth_create(const char *path, const dashi_grid *g, bool single, const dashi_options *o,
                       const char *solver_spec, const char *impl_spec, dashi_truth_file **out) {
  dashi_truth_file *t = calloc(1, sizeof *t);
  t->g = g;
  t->single = single;
  snprintf(t->path, sizeof t->path, "%s", path);
  xmf_path(t);
  t->file = dashi_h5_create(g->comm, path);
  if (t->file < 0) {
    free(t);
    return dashi_err(DASHI_ERR_IO, "cannot create truth file %s", path);
  }
  char *oj = dashi_options_json(o);
  int rc = dashi_h5_attr_str(t->file, "format", "dashi-truth-1");
  if (!rc) rc = dashi_h5_attr_str(t->file, "solver_id", "spectral_les_v1");
  if (!rc) rc = dashi_h5_attr_str(t->file, "solver_spec", solver_spec);
  if (!rc) rc = dashi_h5_attr_str(t->file, "implementation_spec", impl_spec);
  if (!rc) rc = dashi_h5_attr_str(t->file, "options", oj);
  if (!rc) rc = write_option_attrs(t->file, o);
  free(oj);
  DASHI_CALL(rc);
  hid_t gd = H5Gcreate2(t->file, "/diagnostics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t gs = H5Gcreate2(t->file, "/snapshots", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d1[1] = {0}, c1[1] = {1024};
  for (int k = 0; k < NDIAG; k++)
    H5Dclose(dashi_h5_create_ext(gd, diag_names[k], diag_type(k), 1, d1, c1));
  hsize_t d2[2] = {0, (hsize_t)g->N / 2 + 1}, c2[2] = {16, (hsize_t)g->N / 2 + 1};
  H5Dclose(dashi_h5_create_ext(t->file, "spectra", H5T_NATIVE_DOUBLE, 2, d2, c2));
  H5Dclose(dashi_h5_create_ext(t->file, "spectra_time", H5T_NATIVE_DOUBLE, 1, d1, c1));
  H5Dclose(dashi_h5_create_ext(t->file, "spectra_step", H5T_NATIVE_INT64, 1, d1, c1));
  /* one chunk per slab row block: collective writes touch whole chunks */
  hsize_t rows = (hsize_t)g->nx;
  while (rows > 1 && rows * g->N * (single ? 4 : 8) > (64u << 20)) rows /= 2;
  hsize_t d3[3] = {0, (hsize_t)g->N, (hsize_t)g->N}, c3[3] = {1, rows, (hsize_t)g->N};
  H5Dclose(dashi_h5_create_ext(gs, "omega", single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, 3, d3, c3));
  H5Dclose(dashi_h5_create_ext(gs, "time", H5T_NATIVE_DOUBLE, 1, d1, c1));
  H5Dclose(dashi_h5_create_ext(gs, "step", H5T_NATIVE_INT64, 1, d1, c1));
  H5Gclose(gd);
  H5Gclose(gs);
  DASHI_CALL(open_datasets(t));
  *out = t;
  return write_xdmf(t);
}

/* *keep: number of leading records with step <= last */
static int records_upto(const dashi_truth_file *t, hid_t steps, int64_t last, hsize_t *keep) {
  hsize_t n = dashi_h5_extent0(steps);
  *keep = 0;
  if (!n) return 0;
  int64_t *s = malloc(sizeof(int64_t) * n);
  herr_t e = H5Dread(steps, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s);
  while (e >= 0 && *keep < n && s[*keep] <= last) (*keep)++;
  free(s);
  return e < 0
             ? dashi_err(DASHI_ERR_INPUT, "cannot read the record steps of truth file %s", t->path)
             : 0;
}

int dashi_truth_reopen(const char *path, const dashi_grid *g, int64_t step,
                       dashi_truth_file **out) {
  dashi_truth_file *t = calloc(1, sizeof *t);
  t->g = g;
  snprintf(t->path, sizeof t->path, "%s", path);
  xmf_path(t);
  t->file = dashi_h5_open(g->comm, path, H5F_ACC_RDWR);
  if (t->file < 0) {
    free(t);
    return dashi_err(DASHI_ERR_INPUT, "cannot reopen truth file %s to resume (missing or damaged)",
                     path);
  }
  DASHI_CALL(open_datasets(t));
  hid_t ty = H5Dget_type(t->omega);
  t->single = H5Tget_size(ty) == 4;
  H5Tclose(ty);
  /* drop records after the checkpoint: they are recomputed identically */
  hsize_t nd, ns, nn;
  int rc = records_upto(t, t->diag[1], step - 1, &nd);
  if (!rc) rc = records_upto(t, t->spectra_step, step - 1, &ns);
  if (!rc) rc = records_upto(t, t->snap_step, step - 1, &nn);
  DASHI_CALL(dashi_err_agree(g->comm, rc));
  for (int k = 0; k < NDIAG; k++) DASHI_CALL(dashi_h5_set_extent0(t->diag[k], nd));
  DASHI_CALL(dashi_h5_set_extent0(t->spectra, ns));
  DASHI_CALL(dashi_h5_set_extent0(t->spectra_time, ns));
  DASHI_CALL(dashi_h5_set_extent0(t->spectra_step, ns));
  DASHI_CALL(dashi_h5_set_extent0(t->omega, nn));
  DASHI_CALL(dashi_h5_set_extent0(t->snap_time, nn));
  DASHI_CALL(dashi_h5_set_extent0(t->snap_step, nn));
  /* write the truncated (pruned) chunks out now: flushed later, they would overwrite the first
   * records appended after the resume, which collective writes put on disk directly */
  if (H5Fflush(t->file, H5F_SCOPE_LOCAL) < 0)
    return dashi_err(DASHI_ERR_IO, "cannot flush truth file %s after truncating it", path);
  *out = t;
  return write_xdmf(t);
}

/* H5Fflush (with MPI-IO an MPI_File_sync: the data reach the disk); no agreement */
static int flush_local(dashi_truth_file *t) {
  return H5Fflush(t->file, H5F_SCOPE_LOCAL) < 0
             ? write_failed(t, "the flush (H5Fflush)", dashi_err(DASHI_ERR_IO, "H5Fflush"))
             : 0;
}

/* the held diagnostics records appended (collective, agreed); *n: how many */
static int append_held(dashi_truth_file *t, int *n) {
  *n = t->npend;
  t->npend = 0;
  t->last_write = MPI_Wtime();
  int rc = 0;
  for (int k = 0; k < NDIAG && *n && !rc; k++)
    rc = dashi_h5_append_root_n(t->diag[k], diag_type(k),
                                k == 1 ? (void *)t->pend_step : (void *)t->pend[k], (hsize_t)*n,
                                t->g->rank);
  if (rc) {
    char what[64];
    snprintf(what, sizeof what, "%d diagnostics record(s)", *n);
    rc = write_failed(t, what, rc);
  }
  return agreed(t, rc);
}

/* the held diagnostics records, then a flush (collective) */
static int write_diag(dashi_truth_file *t) {
  int n;
  DASHI_CALL(wait_writer(t));
  DASHI_CALL(append_held(t, &n));
  return n ? agreed(t, flush_local(t)) : 0;
}

static int append_diag(dashi_truth_file *t, const dashi_les_diag *d) {
  double v[NDIAG] = {d->time,      0,      d->E,         d->Z,      d->P,
                     d->max_omega, d->cfl, d->nu_t_mean, d->diss_Z, d->inj_Z};
  for (int k = 0; k < NDIAG; k++) t->pend[k][t->npend] = v[k];
  t->pend_step[t->npend++] = d->step;
  /* rank 0's clock decides for all (the writes are collective); the hold time does not make the
   * loop wait for a background write still in flight (a block of 128 records does) */
  bool idle = !t->busy || atomic_load(&t->job_done);
  int now = t->npend == DIAG_ROWS || (MPI_Wtime() - t->last_write >= DIAG_HOLD_S && idle);
  DASHI_MPI(MPI_Bcast(&now, 1, MPI_INT, 0, t->g->comm));
  return now ? write_diag(t) : 0;
}

static int append_spectrum(dashi_truth_file *t, double time, int64_t step, const double *Ek) {
  DASHI_CALL(wait_writer(t));
  int rc = dashi_h5_append_root(t->spectra, H5T_NATIVE_DOUBLE, Ek, t->g->rank);
  if (!rc) rc = dashi_h5_append_root(t->spectra_time, H5T_NATIVE_DOUBLE, &time, t->g->rank);
  if (!rc) rc = dashi_h5_append_root(t->spectra_step, H5T_NATIVE_INT64, &step, t->g->rank);
  char what[64];
  snprintf(what, sizeof what, "the spectrum of step %lld", (long long)step);
  return agreed(t, write_failed(t, what, rc));
}

static int write_snapshot_h5(dashi_truth_file *t, double time, int64_t step, const void *slab,
                             bool single) {
  const dashi_grid *g = t->g;
  hsize_t n = dashi_h5_extent0(t->omega);
  DASHI_CALL(dashi_h5_set_extent0(t->omega, n + 1));
  hid_t fs = H5Dget_space(t->omega);
  hsize_t start[3] = {n, (hsize_t)g->x0, 0}, count[3] = {1, (hsize_t)g->nx, (hsize_t)g->N};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t ms = H5Screate_simple(3, count, NULL);
  hid_t x = dashi_h5_dxpl_collective();
  herr_t e = H5Dwrite(t->omega, single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, ms, fs, x, slab);
  H5Pclose(x);
  H5Sclose(ms);
  H5Sclose(fs);
  if (e < 0) return dashi_err(DASHI_ERR_IO, "writing a snapshot to %s failed", t->path);
  DASHI_CALL(dashi_h5_append_root(t->snap_time, H5T_NATIVE_DOUBLE, &time, g->rank));
  DASHI_CALL(dashi_h5_append_root(t->snap_step, H5T_NATIVE_INT64, &step, g->rank));
  if (H5Fflush(t->file, H5F_SCOPE_LOCAL) < 0)
    return dashi_err(DASHI_ERR_IO, "cannot flush truth file %s", t->path);
  return write_xdmf(t);
}

/* the snapshot's collective writes and the flush; no agreement between ranks (the caller's) */
static int write_snapshot(dashi_truth_file *t, double time, int64_t step, const void *slab,
                          bool single) {
  char what[64];
  snprintf(what, sizeof what, "the snapshot of step %lld", (long long)step);
  return write_failed(t, what, write_snapshot_h5(t, time, step, slab, single));
}

static int snapshot_job(void *arg) {
  dashi_truth_file *t = arg;
  int rc = write_snapshot(t, t->job_time, t->job_step, t->job_slab, t->job_single);
  if (rc || !t->then_fn) return rc;
  t->job_ours = false; /* a failure from here on is the other file's (read after the join) */
  return t->then_fn(t->then_arg);
}

static void *writer_main(void *arg) {
  dashi_truth_file *t = arg;
  double t0 = MPI_Wtime();
  t->job_rc = t->job_fn(t->job_arg);
  if (t->job_rc) snprintf(t->job_msg, sizeof t->job_msg, "%s", dashi_err_msg()); /* its own */
  t->job_secs = MPI_Wtime() - t0;
  atomic_store(&t->job_done, true);
  return NULL;
}

/* the writer runs fn(arg) while the caller goes on (after wait_writer). A rank that cannot start
 * the thread runs the job here and now, saying so on stderr: its part of the job's collective
 * writes must happen either way, or the other ranks' writers would wait for it forever. */
static void start_job(dashi_truth_file *t, int (*fn)(void *), void *arg, bool ours,
                      const char *what) {
  t->job_fn = fn, t->job_arg = arg, t->job_ours = ours, t->job_rc = 0;
  atomic_store(&t->job_done, false);
  t->busy = true;
  t->threaded = !pthread_create(&t->writer, NULL, writer_main, t);
  if (!t->threaded) {
    fprintf(stderr,
            "dashi: rank %d: cannot start the background writer thread; writing %s here, while "
            "the time loop waits (-async_output false avoids the thread)\n",
            t->g->rank, what);
    writer_main(t);
  }
}

void dashi_truth_set_async(dashi_truth_file *t, bool on) {
  t->async = on;
}

/* collective: the background snapshot (if one is being written) finished; its error, agreed */
static int wait_writer(dashi_truth_file *t) {
  if (!t->busy) return 0; /* the same on every rank: they start writers at the same snapshots */
  double w0 = MPI_Wtime();
  if (t->threaded) pthread_join(t->writer, NULL);
  t->busy = false;
  t->wait_s += MPI_Wtime() - w0;
  t->write_s += t->job_secs;
  int rc = t->job_rc ? dashi_err(t->job_rc, "%s [written in the background]", t->job_msg) : 0;
  return t->job_ours ? agreed(t, rc) : dashi_err_agree(t->g->comm, rc);
}

/* Collective: room for a snapshot of `bytes` (and 1 MiB of HDF5 metadata) in the truth file, on
 * its file system and under the file size limit; checked on rank 0 before any write, so that a
 * full disk ends the run cleanly on every rank (a write failing on some ranks alone can leave
 * the others waiting inside HDF5's collectives) */
static int room_for(dashi_truth_file *t, double bytes, int64_t step) {
  int rc = 0;
  double need = bytes + (1 << 20), mb = 1.0 / (1 << 20);
  struct statvfs fs;
  struct stat st;
  struct rlimit rl;
  if (t->g->rank == 0 && !statvfs(t->path, &fs) && (double)fs.f_bavail * fs.f_frsize < need)
    rc = dashi_err(DASHI_ERR_IO,
                   "the snapshot of step %lld (%.1f MiB) does not fit on the file system of the "
                   "truth file %s (%.1f MiB free)",
                   (long long)step, bytes * mb, t->path, (double)fs.f_bavail * fs.f_frsize * mb);
  else if (t->g->rank == 0 && !getrlimit(RLIMIT_FSIZE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
           (stat(t->path, &st) ? 0.0 : (double)st.st_size) + need > (double)rl.rlim_cur)
    rc = dashi_err(DASHI_ERR_IO,
                   "the snapshot of step %lld (%.1f MiB) would take the truth file %s past the "
                   "limit on file size (ulimit -f: %.1f MiB)",
                   (long long)step, bytes * mb, t->path, (double)rl.rlim_cur * mb);
  rc = dashi_err_agree(t->g->comm, rc);
  if (rc) t->full = true;
  return rc;
}

static int append_snapshot(dashi_truth_file *t, double time, int64_t step, const void *slab,
                           bool single, int (*then)(void *), void *then_arg) {
  int held;
  DASHI_CALL(wait_writer(t));
  DASHI_CALL(room_for(t, (double)t->g->N * t->g->N * (t->single ? 4 : 8), step));
  DASHI_CALL(append_held(t, &held)); /* flushed with the snapshot */
  if (!t->async) {
    DASHI_CALL(agreed(t, write_snapshot(t, time, step, slab, single)));
    return then ? dashi_err_agree(t->g->comm, then(then_arg)) : 0;
  }
  t->job_slab = slab, t->job_single = single, t->job_time = time, t->job_step = step;
  t->then_fn = then, t->then_arg = then_arg;
  char what[96];
  snprintf(what, sizeof what, "the snapshot of step %lld%s", (long long)step,
           then ? " and the checkpoint after it" : "");
  start_job(t, snapshot_job, t, true, what);
  t->n_async++;
  t->n_other += then != NULL;
  return 0;
}

int dashi_truth_background(dashi_truth_file *t, int (*fn)(void *), void *arg, const char *what) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = wait_writer(t);
  if (!rc && !t->async) rc = dashi_err_agree(t->g->comm, fn(arg));
  if (!rc && t->async) {
    start_job(t, fn, arg, false, what);
    t->n_other++;
  }
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

/* the appends below are timed as the -log_view event DashiIO */
/* a file whose write failed is not touched again */
static int unusable(const dashi_truth_file *t) {
  return dashi_err(DASHI_ERR_IO, "the truth file %s is not written after a failed write", t->path);
}

int dashi_truth_append_diag(dashi_truth_file *t, const dashi_les_diag *d) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = t->broken ? unusable(t) : append_diag(t, d);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

int dashi_truth_append_spectrum(dashi_truth_file *t, double time, int64_t step, const double *Ek) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = t->broken ? unusable(t) : append_spectrum(t, time, step, Ek);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

int dashi_truth_append_snapshot(dashi_truth_file *t, double time, int64_t step, const void *slab,
                                bool single, int (*then)(void *), void *then_arg) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = t->broken ? unusable(t) : append_snapshot(t, time, step, slab, single, then, then_arg);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

int dashi_truth_flush(dashi_truth_file *t) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = !t ? 0 : t->broken ? unusable(t) : write_diag(t);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

int dashi_truth_wait(dashi_truth_file *t) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = t ? wait_writer(t) : 0;
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

void dashi_truth_async_stats(const dashi_truth_file *t, int *n, int *n_other, double *write_s,
                             double *wait_s) {
  *n = t->n_async, *n_other = t->n_other, *write_s = t->write_s, *wait_s = t->wait_s;
}

bool dashi_truth_broken(const dashi_truth_file *t) {
  return t && t->broken;
}

bool dashi_truth_failed(const dashi_truth_file *t) {
  return t && (t->broken || t->full);
}

int dashi_truth_close(dashi_truth_file *t) {
  if (!t) return 0;
  /* the snapshot being written and the held records first: nothing computed is lost */
  int rc = dashi_truth_flush(t);
  if (t->broken) {
    dashi_h5_abandon();
    free(t);
    return rc ? rc
              : dashi_err(DASHI_ERR_IO, "the truth file was left unfinished after a failed write");
  }
  hid_t ds[] = {t->spectra, t->spectra_time, t->spectra_step, t->omega, t->snap_time, t->snap_step};
  for (int k = 0; k < NDIAG; k++) H5Dclose(t->diag[k]);
  for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) H5Dclose(ds[k]);
  herr_t e = H5Fclose(t->file);
  free(t);
  if (rc) return rc;
  return e < 0 ? dashi_err(DASHI_ERR_IO, "closing the truth file failed") : 0;
}

/* Checkpoints: the spectral state in the canonical [ky][kx][re,im] layout (independent of rank
 * count and backend), written under a temporary name and renamed when complete, with a
 * rank-independent checksum so that a truncated or corrupted file is detected on resume. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/log.h"
#include "h5util.h"

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

enum { CHAINS = 8 };
/* FNV-1a of `rows` (<= CHAINS) rows of len bytes at stride len, side by side: one multiply chain
 * per row, so that the CPU overlaps them (one chain is bound by the multiply's latency: ~0.2 s for
 * an N = 4096 state, measured as most of a checkpoint's time on the GPU host) */
static void fnv_rows(const unsigned char *p, size_t len, int rows, uint64_t h[CHAINS]) {
  for (int r = 0; r < CHAINS; r++) h[r] = 0xcbf29ce484222325ull;
  if (rows == CHAINS) {
    for (size_t k = 0; k < len; k++)
      for (int r = 0; r < CHAINS; r++) h[r] = (h[r] ^ p[r * len + k]) * 0x100000001b3ull;
    return;
  }
  for (int r = 0; r < rows; r++)
    for (size_t k = 0; k < len; k++) h[r] = (h[r] ^ p[r * len + k]) * 0x100000001b3ull;
}

/* sum over ky rows of mix(FNV-1a(row bytes) + ky): the same for every decomposition */
static uint64_t checksum(const dashi_grid *g, const double *canon) {
  uint64_t local = 0, total = 0;
  size_t len = sizeof(double) * 2 * (size_t)g->N;
  for (int a = 0; a < g->nky; a += CHAINS) {
    int rows = g->nky - a < CHAINS ? g->nky - a : CHAINS;
    uint64_t h[CHAINS];
    fnv_rows((const unsigned char *)(canon + (size_t)2 * a * g->N), len, rows, h);
    for (int r = 0; r < rows; r++)
      local += mix64(h[r] + (uint64_t)(g->ky0 + a + r) * 0x9E3779B97F4A7C15ull);
  }
  MPI_Allreduce(&local, &total, 1, MPI_UINT64_T, MPI_SUM, g->comm);
  return total;
}

static int newest_first(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x < y) - (x > y);
}

int dashi_checkpoint_list(const char *dir, long long *steps) {
  int n = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) && n < DASHI_CKPT_LIST_MAX) {
    long long s;
    char tail[8];
    if (sscanf(e->d_name, "ckpt_%lld.h%7s", &s, tail) == 2 && !strcmp(tail, "5")) steps[n++] = s;
  }
  if (d) closedir(d);
  qsort(steps, (size_t)n, sizeof *steps, newest_first);
  return n;
}

void dashi_checkpoint_path(const char *dir, long long step, char *path, size_t len) {
  snprintf(path, len, "%s/ckpt_%08lld.h5", dir, step);
}

int64_t dashi_checkpoint_peek_N(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  int64_t n = 0;
  if (f < 0) return 0;
  if (!dashi_h5_read_attr_i64(f, "N", &n)) n = 0;
  H5Fclose(f);
  return n;
}

/* rank 0 removes every checkpoint that has `keep` or more newer ones */
static void remove_old(const char *dir, const dashi_grid *g, int keep) {
  if (g->rank || keep <= 0) return;
  long long steps[DASHI_CKPT_LIST_MAX];
  int n = dashi_checkpoint_list(dir, steps);
  for (int i = keep; i < n; i++) {
    if (steps[i] == steps[keep - 1]) continue; /* same step under another name: not older */
    char p[2048];
    dashi_checkpoint_path(dir, steps[i], p, sizeof p);
    remove(p);
  }
}

static int write_ckpt(const char *dir, const dashi_grid *g, const dashi_ckpt_info *info,
                      const double *canon, int keep, char *path_out, size_t path_len) {
  char path[2048], tmp[2100];
  dashi_checkpoint_path(dir, info->step, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int rc = g->rank ? 0 : dashi_mkdir_p(dir);
  DASHI_CALL(dashi_err_agree(g->comm, rc));
  uint64_t sum = checksum(g, canon);
  hid_t f = dashi_h5_create(g->comm, tmp);
  if (f < 0) return dashi_err(DASHI_ERR_IO, "cannot create checkpoint %s", tmp);
  hsize_t dims[3] = {(hsize_t)g->N / 2, (hsize_t)g->N, 2};
  hid_t fs = H5Screate_simple(3, dims, NULL);
  hid_t d = H5Dcreate2(f, "omega_hat", H5T_IEEE_F64LE, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t start[3] = {(hsize_t)g->ky0, 0, 0}, count[3] = {(hsize_t)g->nky, (hsize_t)g->N, 2};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t ms = H5Screate_simple(3, count, NULL), x = dashi_h5_dxpl_collective();
  herr_t e = H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, x, canon);
  H5Pclose(x);
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(d);
  char hex[32];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sum);
  rc = e < 0 ? dashi_err(DASHI_ERR_IO, "writing checkpoint %s failed", tmp) : 0;
  if (!rc) rc = dashi_h5_attr_str(f, "format", "dashi-checkpoint-1");
  if (!rc) rc = dashi_h5_attr_str(f, "solver_id", "spectral_les_v1");
  if (!rc) rc = dashi_h5_attr_i64(f, "step", info->step);
  if (!rc) rc = dashi_h5_attr_f64(f, "time", info->time);
  if (!rc) rc = dashi_h5_attr_i64(f, "N", g->N);
  if (!rc) rc = dashi_h5_attr_str(f, "options", info->options_json);
  if (!rc) rc = dashi_h5_attr_str(f, "checksum", hex);
  if (!rc) rc = dashi_h5_attr_i64(f, "complete", 1);
  if (H5Fclose(f) < 0 && !rc) rc = dashi_err(DASHI_ERR_IO, "closing checkpoint %s failed", tmp);
  DASHI_CALL(rc);
  MPI_Barrier(g->comm);
  if (!g->rank && rename(tmp, path))
    rc = dashi_err(DASHI_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  DASHI_CALL(dashi_err_agree(g->comm, rc));
  remove_old(dir, g, keep);
  MPI_Barrier(g->comm);
  if (path_out) snprintf(path_out, path_len, "%s", path);
  return 0;
}

int dashi_checkpoint_write_untimed(const char *dir, const dashi_grid *g,
                                   const dashi_ckpt_info *info, const double *canon, int keep,
                                   char *path_out, size_t path_len) {
  return write_ckpt(dir, g, info, canon, keep, path_out, path_len);
}

int dashi_checkpoint_write(const char *dir, const dashi_grid *g, const dashi_ckpt_info *info,
                           const double *canon, int keep, char *path_out, size_t path_len) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = write_ckpt(dir, g, info, canon, keep, path_out, path_len);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

static int read_ckpt(const char *path, const dashi_grid *g, dashi_ckpt_info *info, double *canon) {
  {
    hid_t f = dashi_h5_open(g->comm, path, H5F_ACC_RDONLY);
    if (f < 0)
      return dashi_err(DASHI_ERR_INPUT,
                       "checkpoint %s cannot be opened (missing, truncated or not HDF5)", path);
    int64_t complete = 0, N = 0, step = 0;
    char hex[32] = "", fmt[64] = "";
    int rc = 0;
    if (!dashi_h5_read_attr_str(f, "format", fmt, sizeof fmt) || strcmp(fmt, "dashi-checkpoint-1"))
      rc = dashi_err(DASHI_ERR_INPUT, "%s is not a dashi checkpoint (format attribute '%s')", path,
                     fmt);
    else if (!dashi_h5_read_attr_i64(f, "complete", &complete) || complete != 1 ||
             !dashi_h5_read_attr_str(f, "checksum", hex, sizeof hex) ||
             !dashi_h5_read_attr_i64(f, "N", &N) || !dashi_h5_read_attr_i64(f, "step", &step) ||
             !dashi_h5_read_attr_f64(f, "time", &info->time))
      rc = dashi_err(DASHI_ERR_INPUT, "checkpoint %s is incomplete (attributes missing)", path);
    else if (N != g->N)
      rc = dashi_err(DASHI_ERR_INPUT, "checkpoint %s has N=%lld but this run has N=%d", path,
                     (long long)N, g->N);
    if (!rc) {
      info->N = (int)N;
      info->step = step;
      if (!dashi_h5_read_attr_str(f, "options", info->options_json, sizeof info->options_json))
        info->options_json[0] = 0; /* not left stale: a restart reports it as not valid JSON */
      hid_t d = H5Dopen2(f, "omega_hat", H5P_DEFAULT);
      hid_t fs = d < 0 ? -1 : H5Dget_space(d);
      hsize_t start[3] = {(hsize_t)g->ky0, 0, 0}, count[3] = {(hsize_t)g->nky, (hsize_t)g->N, 2};
      herr_t e = -1;
      if (fs >= 0) {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(3, count, NULL), x = dashi_h5_dxpl_collective();
        e = H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, x, canon);
        H5Pclose(x);
        H5Sclose(ms);
        H5Sclose(fs);
      }
      if (d >= 0) H5Dclose(d);
      if (e < 0)
        rc = dashi_err(DASHI_ERR_INPUT, "checkpoint %s: /omega_hat cannot be read (truncated?)",
                       path);
    }
    H5Fclose(f);
    rc = dashi_err_agree(g->comm, rc);
    if (rc) return rc;
    char now[32];
    snprintf(now, sizeof now, "%016llx", (unsigned long long)checksum(g, canon));
    if (strcmp(now, hex))
      return dashi_err(DASHI_ERR_INPUT, "checkpoint %s is corrupted: checksum %s, stored %s", path,
                       now, hex);
  }
  return 0;
}

int dashi_checkpoint_read(const char *path, const dashi_grid *g, dashi_ckpt_info *info,
                          double *canon) {
  PetscLogEventBegin(dashi_ev_io, 0, 0, 0, 0);
  int rc = read_ckpt(path, g, info, canon);
  PetscLogEventEnd(dashi_ev_io, 0, 0, 0, 0);
  return rc;
}

int dashi_checkpoint_latest(const char *dir, const dashi_grid *g, dashi_ckpt_info *info,
                            double *canon, char *path_out, size_t path_len, bool *found) {
  long long steps[DASHI_CKPT_LIST_MAX];
  int n = g->rank ? 0 : dashi_checkpoint_list(dir, steps);
  MPI_Bcast(&n, 1, MPI_INT, 0, g->comm);
  MPI_Bcast(steps, n, MPI_LONG_LONG, 0, g->comm);
  *found = false;
  for (int i = 0; i < n && steps[i] >= 0; i++) {
    char path[2048];
    dashi_checkpoint_path(dir, steps[i], path, sizeof path);
    int rc = dashi_checkpoint_read(path, g, info, canon);
    if (!rc) {
      snprintf(path_out, path_len, "%s", path);
      *found = true;
      return 0;
    }
    if (rc != DASHI_ERR_INPUT) return rc;
    dashi_log(g->comm, "dashi: warning: skipping checkpoint: %s; trying the previous one\n",
              dashi_err_msg());
  }
  return 0;
}

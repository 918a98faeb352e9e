/* Reading vorticity from HDF5 files of this or other codes; file and directory helpers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashi/error.h"
#include "dashi/io.h"
#include "h5util.h"

bool dashi_path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

char *dashi_read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = 0;
  fclose(f);
  return s;
}

int dashi_mkdir_p(const char *path) {
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0775) && errno != EEXIST)
      return dashi_err(DASHI_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0775) && errno != EEXIST)
    return dashi_err(DASHI_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
  return 0;
}

int dashi_read_vorticity(const char *path, const char *dataset, const dashi_grid *g, double *slab,
                         double *canon, bool *is_spec) {
  *is_spec = false;
  if (!dashi_path_exists(path))
    return dashi_err(DASHI_ERR_INPUT, "initial-condition file %s does not exist", path);
  int rc = 0;
  {
    hid_t f = dashi_h5_open(g->comm, path, H5F_ACC_RDONLY);
    if (f < 0) return dashi_err(DASHI_ERR_INPUT, "%s is not an HDF5 file (or is damaged)", path);
    if (!dataset && H5Lexists(f, "omega_hat", H5P_DEFAULT) > 0) {
      H5Fclose(f);
      dashi_ckpt_info info;
      *is_spec = true;
      return dashi_checkpoint_read(path, g, &info, canon);
    }
    if (!dataset) dataset = "/snapshots/omega";
    hid_t d = H5Lexists(f, dataset, H5P_DEFAULT) > 0 ? H5Dopen2(f, dataset, H5P_DEFAULT) : -1;
    if (d < 0) {
      H5Fclose(f);
      return dashi_err(DASHI_ERR_INPUT, "%s has no dataset %s (choose one with -ic_dataset)", path,
                       dataset);
    }
    hid_t fs = H5Dget_space(d);
    hsize_t dims[8];
    int rank = H5Sget_simple_extent_ndims(fs);
    if (rank >= 1 && rank <= 8) H5Sget_simple_extent_dims(fs, dims, NULL);
    if (rank != 2 && rank != 3)
      rc = dashi_err(DASHI_ERR_INPUT, "%s:%s has rank %d; expected [N,N] or [T,N,N]", path, dataset,
                     rank);
    else if (dims[rank - 1] != (hsize_t)g->N || dims[rank - 2] != (hsize_t)g->N)
      rc = dashi_err(DASHI_ERR_INPUT, "%s:%s is %llux%llu but this run has N=%d (set -N %llu)",
                     path, dataset, (unsigned long long)dims[rank - 2],
                     (unsigned long long)dims[rank - 1], g->N, (unsigned long long)dims[rank - 1]);
    else if (rank == 3 && dims[0] == 0)
      rc = dashi_err(DASHI_ERR_INPUT, "%s:%s has no records", path, dataset);
    if (!rc) {
      hsize_t start[3] = {0}, count[3];
      int o = rank == 3;
      if (o) start[0] = dims[0] - 1, count[0] = 1;
      start[o] = (hsize_t)g->x0, count[o] = (hsize_t)g->nx;
      start[o + 1] = 0, count[o + 1] = (hsize_t)g->N;
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
      hid_t ms = H5Screate_simple(rank, count, NULL), x = dashi_h5_dxpl_collective();
      if (H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, x, slab) < 0)
        rc = dashi_err(DASHI_ERR_INPUT, "%s:%s cannot be read as numbers", path, dataset);
      H5Pclose(x);
      H5Sclose(ms);
    }
    H5Sclose(fs);
    H5Dclose(d);
    H5Fclose(f);
  }
  if (!rc) {
    size_t bad = 0;
    for (size_t k = 0; k < (size_t)g->nx * g->N; k++) bad += !isfinite(slab[k]);
    unsigned long long b = bad, tot;
    MPI_Allreduce(&b, &tot, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, g->comm);
    if (tot)
      rc = dashi_err(DASHI_ERR_INPUT, "%s:%s holds %llu non-finite values", path, dataset, tot);
  }
  return dashi_err_agree(g->comm, rc);
}

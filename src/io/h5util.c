#include "h5util.h"

#include <stdio.h>
#include <string.h>

#include "dashi/error.h"

static hid_t fapl_mpio(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  return fapl;
}

hid_t dashi_h5_create(MPI_Comm comm, const char *path) {
  hid_t fapl = fapl_mpio(comm);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

hid_t dashi_h5_open(MPI_Comm comm, const char *path, unsigned flags) {
  hid_t fapl = fapl_mpio(comm);
  hid_t f = H5Fopen(path, flags, fapl);
  H5Pclose(fapl);
  return f;
}

hid_t dashi_h5_dxpl_collective(void) {
  hid_t x = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(x, H5FD_MPIO_COLLECTIVE);
  return x;
}

static int attr_write(hid_t obj, const char *name, hid_t type, const void *v) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Awrite(a, type, v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return e < 0 ? dashi_err(DASHI_ERR_IO, "cannot write HDF5 attribute '%s'", name) : 0;
}

int dashi_h5_attr_str(hid_t obj, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  int rc = attr_write(obj, name, t, value);
  H5Tclose(t);
  return rc;
}
int dashi_h5_attr_i64(hid_t obj, const char *name, int64_t v) {
  return attr_write(obj, name, H5T_NATIVE_INT64, &v);
}
int dashi_h5_attr_f64(hid_t obj, const char *name, double v) {
  return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v);
}

bool dashi_h5_read_attr_str(hid_t obj, const char *name, char *buf, size_t len) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = H5Aget_type(a);
  bool ok = false;
  if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
    size_t n = H5Tget_size(ft);
    char tmp[n + 1];
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, n);
    ok = H5Aread(a, mt, tmp) >= 0;
    tmp[n] = 0;
    snprintf(buf, len, "%s", tmp);
    H5Tclose(mt);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return ok;
}

static bool read_num(hid_t obj, const char *name, hid_t mt, void *v) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  bool ok = H5Aread(a, mt, v) >= 0;
  H5Aclose(a);
  return ok;
}
bool dashi_h5_read_attr_i64(hid_t obj, const char *name, int64_t *v) {
  return read_num(obj, name, H5T_NATIVE_INT64, v);
}
bool dashi_h5_read_attr_f64(hid_t obj, const char *name, double *v) {
  return read_num(obj, name, H5T_NATIVE_DOUBLE, v);
}

hid_t dashi_h5_create_ext(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                          const hsize_t *chunk) {
  hsize_t cur[4], max[4];
  for (int i = 0; i < rank; i++) cur[i] = dims[i], max[i] = dims[i];
  cur[0] = 0;
  max[0] = H5S_UNLIMITED;
  hid_t sp = H5Screate_simple(rank, cur, max);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, rank, chunk);
  hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(sp);
  return d;
}

hsize_t dashi_h5_extent0(hid_t dset) {
  hid_t sp = H5Dget_space(dset);
  hsize_t dims[4];
  H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  return dims[0];
}

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *buf) {
  if (n == 0) { /* walked upward: the first entry is where the failure began */
    char minor[128] = "";
    H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
    snprintf(buf, 256, "%s: %s", minor, e->desc ? e->desc : "");
  }
  return 0;
}

static bool abandoned;
void dashi_h5_abandon(void) {
  abandoned = true;
}
bool dashi_h5_abandoned(void) {
  return abandoned;
}

const char *dashi_h5_error_detail(char *buf, size_t len) {
  char tmp[256] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, tmp);
  snprintf(buf, len, "%s", tmp);
  return buf;
}

int dashi_h5_set_extent0(hid_t dset, hsize_t n) {
  hid_t sp = H5Dget_space(dset);
  hsize_t dims[4];
  int rank = H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  (void)rank;
  dims[0] = n;
  return H5Dset_extent(dset, dims) < 0 ? dashi_err(DASHI_ERR_IO, "cannot extend dataset") : 0;
}

int dashi_h5_append_root(hid_t dset, hid_t memtype, const void *rec, int rank_in_comm) {
  return dashi_h5_append_root_n(dset, memtype, rec, 1, rank_in_comm);
}

int dashi_h5_append_root_n(hid_t dset, hid_t memtype, const void *rec, hsize_t nrec,
                           int rank_in_comm) {
  hsize_t n = dashi_h5_extent0(dset);
  DASHI_CALL(dashi_h5_set_extent0(dset, n + nrec));
  hid_t fs = H5Dget_space(dset);
  hsize_t dims[4], start[4] = {0}, count[4];
  int rank = H5Sget_simple_extent_dims(fs, dims, NULL);
  for (int i = 0; i < rank; i++) count[i] = dims[i];
  start[0] = n;
  count[0] = nrec;
  hid_t ms;
  if (rank_in_comm == 0) {
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    ms = H5Screate_simple(rank, count, NULL);
  } else {
    H5Sselect_none(fs);
    ms = H5Screate_simple(rank, count, NULL);
    H5Sselect_none(ms);
  }
  hid_t x = dashi_h5_dxpl_collective();
  herr_t e = H5Dwrite(dset, memtype, ms, fs, x, rec);
  H5Pclose(x);
  H5Sclose(ms);
  H5Sclose(fs);
  return e < 0 ? dashi_err(DASHI_ERR_IO, "HDF5 write failed while appending a record") : 0;
}

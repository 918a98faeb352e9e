/* Internal HDF5 helpers: parallel file access, attributes, extendible datasets. */
#ifndef DASHI_H5UTIL_H
#define DASHI_H5UTIL_H
#include <hdf5.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

/* collective create (truncating) / open of a file for parallel I/O on comm; < 0 on failure */
hid_t dashi_h5_create(MPI_Comm comm, const char *path);
hid_t dashi_h5_open(MPI_Comm comm, const char *path, unsigned flags);
hid_t dashi_h5_dxpl_collective(void);
int dashi_h5_attr_str(hid_t obj, const char *name, const char *value);
int dashi_h5_attr_i64(hid_t obj, const char *name, int64_t value);
int dashi_h5_attr_f64(hid_t obj, const char *name, double value);
/* returns false when absent */
bool dashi_h5_read_attr_str(hid_t obj, const char *name, char *buf, size_t len);
bool dashi_h5_read_attr_i64(hid_t obj, const char *name, int64_t *v);
bool dashi_h5_read_attr_f64(hid_t obj, const char *name, double *v);
/* extendible dataset of rank `rank` with trailing dims dims[1..] and unlimited dims[0] = 0 */
hid_t dashi_h5_create_ext(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                          const hsize_t *chunk);
/* append one record (n records) written by rank 0 alone (collective call) */
int dashi_h5_append_root(hid_t dset, hid_t memtype, const void *rec, int rank_in_comm);
int dashi_h5_append_root_n(hid_t dset, hid_t memtype, const void *rec, hsize_t n, int rank_in_comm);
hsize_t dashi_h5_extent0(hid_t dset);
/* a file was left open after its writes failed: HDF5 cannot be finalized (it would crash closing
 * it), so main() aborts instead of finalizing (dashi_h5_abandoned) */
void dashi_h5_abandon(void);
/* the innermost entry of HDF5's error stack of this thread ("" when empty), for messages */
const char *dashi_h5_error_detail(char *buf, size_t len);
int dashi_h5_set_extent0(hid_t dset, hsize_t n);

#endif

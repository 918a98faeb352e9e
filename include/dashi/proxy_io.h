/* Proxy files (SPEC §8, docs/proxy.md) and reading truth snapshots for the offline commands. All
 * calls are collective over the communicator the file was opened on. */
#ifndef DASHI_PROXY_IO_H
#define DASHI_PROXY_IO_H
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

#include "dashi/grid.h"
#include "dashi/proxy.h"

/* ---- truth file snapshots ---- */
typedef struct dashi_truth_reader dashi_truth_reader;
typedef struct {
  char path[1024];
  int N;
  int64_t T; /* snapshots */
  int64_t *step;
  double *time;
  double dt;
  int64_t snapshot_every;
} dashi_truth_meta;
int dashi_truth_reader_open(MPI_Comm comm, const char *path, dashi_truth_reader **tr);
const dashi_truth_meta *dashi_truth_reader_meta(const dashi_truth_reader *tr);
/* index of the snapshot at `step`, -1 if absent */
int64_t dashi_truth_reader_find(const dashi_truth_reader *tr, int64_t step);
/* snapshot k into this rank's slab [nx][N] (collective over the grid's communicator, which must
 * be the reader's) */
int dashi_truth_reader_read(dashi_truth_reader *tr, int64_t k, const dashi_grid *g, double *slab);
void dashi_truth_reader_close(dashi_truth_reader *tr);

/* ---- writing a proxy file ---- */
typedef struct dashi_proxy_file dashi_proxy_file;
/* records `command`, its options and the truth file it derives from; status "writing" */
int dashi_pfile_create(MPI_Comm comm, const char *path, const dashi_proxy_layout *l,
                       const char *command, const dashi_options *o, const char *truth_path,
                       dashi_proxy_file **pf);
/* the encoded trajectory: T x D (row-major, valid on rank 0) */
int dashi_pfile_write_z(dashi_proxy_file *pf, int64_t T, const double *z, const int64_t *step,
                        const double *time, int64_t encode_every, double dt);
int dashi_pfile_write_A(dashi_proxy_file *pf, const double *A, const dashi_fit_report *r,
                        int64_t first_step, int64_t last_step, const char *source,
                        int64_t encode_every, double dt);
int dashi_pfile_write_ensemble(dashi_proxy_file *pf, const dashi_ens_records *rec,
                               const dashi_ens_params *p, const char *residual_mode,
                               const char *noise_mode);
/* rc: the result of the writes so far; when 0, the status attribute is set to `status` first.
 * Closes and frees pf; returns rc, else the first error of setting the status or closing. */
int dashi_pfile_close(dashi_proxy_file *pf, int rc, const char *status);

/* ---- reading a proxy file ---- */
typedef struct {
  char path[1024], truth[1024], command[64];
  dashi_proxy_layout l; /* frozen anchors */
  int64_t encode_every;
  double dt;
  int64_t T; /* frames in /z (0 when absent) */
  double *z;
  int64_t *step;
  double *time;
  bool has_A;
  double *A;
  dashi_fit_report fit;
  int64_t train_first, train_last;
} dashi_proxy_input;
/* need_z / need_A: absence is an error naming the file and what is missing */
int dashi_pfile_read(MPI_Comm comm, const char *path, bool need_z, bool need_A,
                     dashi_proxy_input *in);
void dashi_proxy_input_free(dashi_proxy_input *in);
/* index of the frame at `step` in /z, -1 if absent */
int64_t dashi_proxy_input_find(const dashi_proxy_input *in, int64_t step);

#endif

/* HDF5 files (parallel, collective by slab), XDMF sidecar, checkpoints, manifest (SPEC §8). */
#ifndef DASHI_IO_H
#define DASHI_IO_H
#include <stdbool.h>
#include <stdint.h>

#include "dashi/grid.h"
#include "dashi/les.h"
#include "dashi/options.h"

/* ---- truth file ---- */
typedef struct dashi_truth_file dashi_truth_file;
int dashi_truth_create(const char *path, const dashi_grid *g, bool single, const dashi_options *o,
                       const char *solver_spec, const char *impl_spec, dashi_truth_file **tf);
/* Reopen for a resumed run: records after `step` are dropped (they are recomputed identically). */
int dashi_truth_reopen(const char *path, const dashi_grid *g, int64_t step, dashi_truth_file **tf);
int dashi_truth_append_diag(dashi_truth_file *tf, const dashi_les_diag *d);
int dashi_truth_append_spectrum(dashi_truth_file *tf, double time, int64_t step, const double *Ek);
/* Collective. slab [nx][N]: doubles, or floats with `single` (a single-precision backend's own
 * values: dashi_les_omega_slab_native). With async on, the snapshot is written by a background
 * thread and `slab` is its until dashi_truth_wait (or any other call below) returns; its failure
 * is returned by that call, naming the snapshot's step. then(then_arg), if given, runs after the
 * snapshot's write in the same job (a checkpoint due at that step: dashi_truth_background's kind
 * of job; a failure of it does not break the truth file). */
int dashi_truth_append_snapshot(dashi_truth_file *tf, double time, int64_t step, const void *slab,
                                bool single, int (*then)(void *), void *then_arg);
void dashi_truth_set_async(dashi_truth_file *tf, bool on);
int dashi_truth_wait(dashi_truth_file *tf);
/* Collective: fn(arg) in the truth file's background writer (after the job before it), or here
 * and now when async is off; HDF5 calls of another file that the time loop must not wait for (a
 * checkpoint). Its failure is returned by the next wait, naming `what` when it cannot start. */
int dashi_truth_background(dashi_truth_file *tf, int (*fn)(void *), void *arg, const char *what);
/* snapshots and other jobs written in the background so far, the writer's seconds and the waits */
void dashi_truth_async_stats(const dashi_truth_file *tf, int *n, int *n_other, double *write_s,
                             double *wait_s);
/* the diagnostics records held in memory (they are written in blocks) to the file, flushed;
 * collective. dashi_truth_close does it too. */
int dashi_truth_flush(dashi_truth_file *tf);
/* a file was abandoned after its writes failed (truth file): HDF5 would crash closing it at
 * MPI_Finalize, so main() ends with MPI_Abort after its error message */
bool dashi_h5_abandoned(void);
/* a write failed (agreed on all ranks): the file is not written again; close abandons it */
bool dashi_truth_broken(const dashi_truth_file *tf);
/* broken, or a snapshot was refused because it would not fit (the file itself is intact) */
bool dashi_truth_failed(const dashi_truth_file *tf);
int dashi_truth_close(dashi_truth_file *tf);

/* ---- reading vorticity from any HDF5 file (initial conditions from other codes) ---- */
/* Reads the last record of an [N,N] or [T,N,N] dataset into this rank's slab [nx][N]. If the file
 * is a dashi checkpoint (has /omega_hat) and dataset is NULL, *is_spec is set and canon [nky][N][2]
 * is filled instead. Errors name the file, the dataset and what was found. */
int dashi_read_vorticity(const char *path, const char *dataset, const dashi_grid *g, double *slab,
                         double *canon, bool *is_spec);

/* ---- checkpoints ---- */
typedef struct {
  int64_t step;
  double time;
  int N;
  char options_json[16384];
} dashi_ckpt_info;
/* Write DIR/ckpt_STEP.h5 atomically (temporary name, then rename) from canon [nky][N][2];
 * keep the newest `keep` checkpoints. */
int dashi_checkpoint_write(const char *dir, const dashi_grid *g, const dashi_ckpt_info *info,
                           const double *canon, int keep, char *path_out, size_t path_len);
/* the same without PETSc's event timing, for the background writer's thread (g->comm: a
 * communicator that thread has to itself) */
int dashi_checkpoint_write_untimed(const char *dir, const dashi_grid *g,
                                   const dashi_ckpt_info *info, const double *canon, int keep,
                                   char *path_out, size_t path_len);
/* Read and verify (checksum, completeness, N) into canon. */
int dashi_checkpoint_read(const char *path, const dashi_grid *g, dashi_ckpt_info *info,
                          double *canon);
/* Newest checkpoint in dir that verifies; skipped bad ones are reported on rank 0. *found = false
 * when the directory has none. */
int dashi_checkpoint_latest(const char *dir, const dashi_grid *g, dashi_ckpt_info *info,
                            double *canon, char *path_out, size_t path_len, bool *found);
/* Local (not collective) helpers: the steps of the DIR/ckpt_STEP.h5 files, newest first (at most
 * DASHI_CKPT_LIST_MAX; none when DIR cannot be read); the file name of a step; the N recorded in a
 * checkpoint file (0 when it cannot be read). */
enum { DASHI_CKPT_LIST_MAX = 4096 };
int dashi_checkpoint_list(const char *dir, long long *steps);
void dashi_checkpoint_path(const char *dir, long long step, char *path, size_t len);
int64_t dashi_checkpoint_peek_N(const char *path);

/* ---- manifest ---- */
/* Merge one run entry (JSON object text with an "id") into ROOT/manifest.json under a file lock,
 * and write RUNDIR/run.json. Rank 0 only. */
int dashi_manifest_update(const char *run_dir, const char *entry_json);

/* ---- small helpers ---- */
int dashi_mkdir_p(const char *path);
bool dashi_path_exists(const char *path);
/* The whole file as a NUL-terminated string (caller frees); NULL when it cannot be opened. */
char *dashi_read_text(const char *path);

#endif

/* Shared pieces of the proxy commands (see proxy_cmd.h). */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/log.h"
#if DASHI_WITH_VULKAN
#include "dashi/vk_proxy.h"
#endif
#include "proxy_cmd.h"

int pc_check_backend(MPI_Comm comm, const dashi_options *o, bool proxy_gpu) {
  if (strcmp(dashi_opt_s(o, "proxy_backend"), "vulkan")) return 0;
  if (!proxy_gpu) { /* said, not silent: encode and learn have no GPU part (docs/proxy.md) */
    dashi_log(comm, "note: -proxy_backend vulkan applies to rollouts and decodes (dashi ensemble, "
                    "dashi run); this command runs on the CPU\n");
    return 0;
  }
  int rank;
  MPI_Comm_rank(comm, &rank);
#if DASHI_WITH_VULKAN
  int rc = dashi_vk_proxy_probe(rank, (int)dashi_opt_i(o, "vk_device"));
#else
  int rc = dashi_err(DASHI_ERR_DEVICE,
                     "-proxy_backend vulkan: this dashi was built without the Vulkan backend "
                     "(reconfigure with -DDASHI_WITH_VULKAN=ON); dashi never falls back on its "
                     "own: run with -proxy_backend cpu");
#endif
  return dashi_err_agree(comm, rc);
}

int pc_prepare_out(MPI_Comm comm, const dashi_options *o, const char *cmd, const char *fname,
                   char *dir, size_t dlen, char *path, size_t plen) {
  const char *out = dashi_opt_s(o, "out");
  if (out[0])
    snprintf(dir, dlen, "%s", out);
  else
    snprintf(dir, dlen, "runs/%s", cmd);
  snprintf(path, plen, "%s/%s", dir, fname);
  int rank;
  MPI_Comm_rank(comm, &rank);
  int rc = 0;
  if (dashi_path_exists(path) && !dashi_opt_b(o, "force"))
    rc = dashi_err(DASHI_ERR_USAGE,
                   "%s already exists: choose another -out or add -force to overwrite it", path);
  else if (rank == 0)
    rc = dashi_mkdir_p(dir);
  return dashi_err_agree(comm, rc);
}

int pc_manifest(MPI_Comm comm, const dashi_options *o, const char *dir, const char *cmd,
                const char *status, const char *fname, cJSON *extra) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank) {
    cJSON_Delete(extra);
    return 0;
  }
  cJSON *p, *e = dashi_entry_begin(dir, cmd, DASHI_PROXY_ID, status, &p);
  cJSON_AddStringToObject(p, "proxy", fname);
  static const char *inputs[] = {"truth", "z", "A"};
  for (size_t i = 0; i < 3; i++) {
    const dashi_opt_value *v = NULL;
    for (int k = 0; k < o->n; k++)
      if (!strcmp(o->v[k].def->name, inputs[i])) v = &o->v[k];
    if (v && v->s[0]) cJSON_AddStringToObject(p, inputs[i], v->s);
  }
  static const char *const keys[] = {
      "k_cut",       "mid_cut",  "topk",        "smooth_k",    "tau",     "encode_every",
      "score_every", "ridge",    "standardize", "train_steps", "members", "noise",
      "noise_mode",  "decode_N", "start",       "kernel_only", "seed"};
  dashi_entry_parameters(e, o, keys, sizeof keys / sizeof keys[0], size);
  if (extra) cJSON_AddItemToObject(e, "results", extra);
  return dashi_entry_write(dir, e);
}

int pc_decode_n(const dashi_options *o, const dashi_proxy_layout *l, int *n) {
  long long v = dashi_opt_i(o, "decode_N");
  if (v == 0) v = l->cfg.N < 256 ? l->cfg.N : 256;
  if (v < 0 || v > l->cfg.N || v % 2)
    return dashi_err(DASHI_ERR_USAGE,
                     "-decode_N %lld: must be even and at most the truth's N=%d (the truth is "
                     "brought to the decode resolution by spectral truncation)",
                     v, l->cfg.N);
  *n = (int)v;
  return 0;
}

int pc_ens_params(const dashi_options *o, const dashi_proxy_layout *l, int n, dashi_ens_params *p) {
  memset(p, 0, sizeof *p);
  p->members = (int)dashi_opt_i(o, "members");
  p->noise = dashi_opt_r(o, "noise");
  DASHI_CALL(dashi_noise_mode_parse(dashi_opt_s(o, "noise_mode"), &p->noise_mode));
  p->seed = (uint64_t)dashi_opt_i(o, "seed");
  p->dp.n = n;
  p->dp.tau = l->cfg.tau;
  p->dp.plateau = (int)dashi_opt_i(o, "plateau");
  p->dp.iters = (int)dashi_opt_i(o, "annihilate_iters");
  p->dp.residual = !strcmp(dashi_opt_s(o, "decode_residual"), "carrier");
  p->save_decoded = (int)dashi_opt_i(o, "save_decoded");
  p->gpu = !strcmp(dashi_opt_s(o, "proxy_backend"), "vulkan");
  p->vk_device = (int)dashi_opt_i(o, "vk_device");
  if (p->noise < 0) return dashi_err(DASHI_ERR_USAGE, "-noise %g must be >= 0", p->noise);
  return 0;
}

int pc_frame_encoder_open(MPI_Comm comm, int N, dashi_proxy_layout *l, pc_frame_encoder *fe) {
  DASHI_CALL(dashi_grid_create(comm, N, &fe->g));
  dashi_backend_config bc = {
      .name = "cpu", .single = false, .fftw_flags = FFTW_ESTIMATE, .vk_device = -1};
  DASHI_CALL(dashi_backend_create(&fe->g, &bc, &fe->b));
  DASHI_CALL(fe->b->ops->field_create(fe->b, DASHI_FIELD_REAL, &fe->real));
  DASHI_CALL(fe->b->ops->field_create(fe->b, DASHI_FIELD_SPEC, &fe->spec));
  DASHI_CALL(dashi_encoder_create(l, &fe->g, &fe->enc));
  fe->slab = malloc(sizeof(double) * (size_t)fe->g.nx * N + 1);
  fe->canon = malloc(sizeof(double) * 2 * (size_t)fe->g.nky * N + 1);
  return 0;
}

int pc_frame_encode(pc_frame_encoder *fe, dashi_truth_reader *tr, int64_t k, double *z) {
  const struct dashi_backend_ops *ops = fe->b->ops;
  DASHI_CALL(dashi_truth_reader_read(tr, k, &fe->g, fe->slab));
  DASHI_CALL(ops->real_put(fe->b, fe->real, fe->slab));
  DASHI_CALL(ops->fft_forward(fe->b, 1, &fe->real, &fe->spec));
  DASHI_CALL(ops->spec_get(fe->b, fe->spec, fe->canon));
  return dashi_encode(fe->enc, fe->canon, fe->slab, z);
}

void pc_frame_encoder_close(pc_frame_encoder *fe) {
  if (fe->b) {
    fe->b->ops->field_destroy(fe->b, fe->real);
    fe->b->ops->field_destroy(fe->b, fe->spec);
  }
  dashi_encoder_destroy(fe->enc);
  dashi_backend_destroy(fe->b);
  free(fe->slab), free(fe->canon);
  memset(fe, 0, sizeof *fe);
}

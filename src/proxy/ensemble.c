/* The ensemble phase shared by `dashi run` (in situ) and `dashi ensemble` (from files): members
 * from the truth's encoding, rollouts, decodes and scores at every score time, and the two
 * baselines (persistence: the unperturbed z0 held fixed; ceiling: the truth's own encode->decode),
 * each with its own fining history. Per-member records stay on the rank that owns the member until
 * dashi_ens_run_gather collects them, in member order, on rank 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "dashi/log.h"
#include "dashi/proxy.h"
#include "dashi/vk_decode.h"

struct dashi_ens_run {
  MPI_Comm comm;
  int rank, size;
  const dashi_proxy_layout *l;
  dashi_ens_params p;
  dashi_ensemble *ens;
  dashi_decoder *dec;
  dashi_fining **fin, *fin_base[2];
  /* -proxy_backend vulkan: the members' decodes on the GPU (fining state on the device), one
   * submit per score time; the baselines and the scores stay on the CPU decoder */
  dashi_vk_decoder *vdec;
  double *vomega; /* [m][n n] decoded fields of this rank's members */
  dashi_decode_stats *vst;
  int n, m, iters;
  double *omega, *ek, *tomega, *tek, *zall;
  int cap;
  /* local, append-friendly: [time][m][...] */
  double *lscores, *lcstats;
  int *lhist;
  dashi_ens_records rec;
};

static size_t fieldsz(const dashi_ens_run *r) {
  return (size_t)r->n * r->n;
}

int dashi_ens_run_create(MPI_Comm comm, const dashi_proxy_layout *l, const double *A,
                         const dashi_ens_params *p, dashi_ens_run **out) {
  dashi_ens_run *r = calloc(1, sizeof *r);
  r->comm = comm;
  MPI_Comm_rank(comm, &r->rank);
  MPI_Comm_size(comm, &r->size);
  r->l = l;
  r->p = *p;
  r->n = p->dp.n;
  r->iters = p->dp.iters > 0 ? p->dp.iters : 1;
  int rc = dashi_ensemble_create(comm, p->members, l->D, A, &r->ens);
  if (!rc && p->gpu) { /* rollouts on the GPU */
    rc = dashi_ensemble_use_gpu(r->ens, p->vk_device);
    if (!rc)
      dashi_log(comm, "proxy rollouts on the GPU (fp64, %d member(s) per rank): %s\n", r->ens->m,
                dashi_ensemble_device(r->ens));
  }
  if (!rc && (p->save_decoded < 0 || p->save_decoded > p->members))
    rc = dashi_err(DASHI_ERR_USAGE, "-save_decoded %d must be in 0..members (%d)", p->save_decoded,
                   p->members);
  if (!rc) rc = dashi_decoder_create(l, &p->dp, &r->dec);
  if (rc) {
    dashi_ens_run_destroy(r);
    return rc;
  }
  r->m = r->ens->m;
  r->fin = calloc((size_t)r->m, sizeof *r->fin);
  if (p->gpu) {
#ifdef DASHI_WITH_VULKAN
    rc = dashi_vk_decoder_create(comm, l, &p->dp, r->m, p->vk_device, &r->vdec);
    r->vomega = malloc(sizeof(double) * fieldsz(r) * (size_t)r->m);
    r->vst = calloc((size_t)r->m, sizeof *r->vst);
    if (!rc && (!r->vomega || !r->vst))
      rc = dashi_err(DASHI_ERR_GENERIC, "out of memory for the GPU decode of %d members", r->m);
#else
    rc = dashi_err(DASHI_ERR_DEVICE,
                   "-proxy_backend vulkan: this dashi was built without the Vulkan backend "
                   "(reconfigure with -DDASHI_WITH_VULKAN=ON); it never falls back to the CPU");
#endif
  }
  for (int j = 0; j < r->m && !rc && !p->gpu; j++) rc = dashi_fining_create(r->n, &r->fin[j]);
  for (int b = 0; b < 2 && !rc; b++)
    if (r->rank == 0) rc = dashi_fining_create(r->n, &r->fin_base[b]);
  size_t f = fieldsz(r);
  r->omega = malloc(sizeof(double) * f);
  r->tomega = malloc(sizeof(double) * f);
  r->ek = malloc(sizeof(double) * (size_t)(r->n / 2 + 1));
  r->tek = malloc(sizeof(double) * (size_t)(r->n / 2 + 1));
  r->zall = r->rank == 0 ? malloc(sizeof(double) * (size_t)p->members * l->D) : NULL;
  dashi_ens_records *rec = &r->rec;
  rec->M = p->members, rec->D = l->D, rec->n = r->n, rec->iters = r->iters;
  rec->nsave = p->save_decoded;
  rec->z0 = calloc((size_t)l->D, sizeof(double));
  if (rc || !r->omega || !r->tomega || !r->ek || !r->tek || (r->rank == 0 && !r->zall)) {
    dashi_ens_run_destroy(r);
    return rc ? rc : dashi_err(DASHI_ERR_GENERIC, "out of memory for the ensemble");
  }
  *out = r;
  return 0;
}

void dashi_ens_run_destroy(dashi_ens_run *r) {
  if (!r) return;
  for (int j = 0; r->fin && j < r->m; j++) dashi_fining_destroy(r->fin[j]);
  free(r->fin);
  for (int b = 0; b < 2; b++) dashi_fining_destroy(r->fin_base[b]);
  dashi_decoder_destroy(r->dec);
#ifdef DASHI_WITH_VULKAN
  dashi_vk_decoder_destroy(r->vdec);
#endif
  free(r->vomega), free(r->vst);
  dashi_ensemble_destroy(r->ens);
  free(r->omega), free(r->tomega), free(r->ek), free(r->tek), free(r->zall);
  free(r->lscores), free(r->lcstats), free(r->lhist);
  dashi_ens_records *c = &r->rec;
  free(c->step), free(c->time), free(c->z0), free(c->scores), free(c->cstats), free(c->history);
  free(c->base_scores), free(c->base_cstats), free(c->z_mean), free(c->z_true), free(c->decoded);
  free(c->truth);
  free(r);
}

int dashi_ens_run_start(dashi_ens_run *r, const double *z0, int64_t step, double time) {
  for (int i = 0; i < r->l->D; i++)
    if (!isfinite(z0[i]))
      return dashi_err(DASHI_ERR_INPUT,
                       "ensemble: the start state z0 (step %lld) has a non-finite "
                       "component %d",
                       (long long)step, i);
  memcpy(r->rec.z0, z0, sizeof(double) * (size_t)r->l->D);
  r->rec.start_step = step;
  r->rec.start_time = time;
  return dashi_ensemble_init(r->ens, r->l, z0, r->p.noise, r->p.noise_mode, r->p.seed);
}

int dashi_ens_run_advance(dashi_ens_run *r) {
  return dashi_ensemble_step(r->ens);
}
int dashi_ens_run_advance_n(dashi_ens_run *r, int64_t n) {
  return dashi_ensemble_advance(r->ens, n);
}
int64_t dashi_ens_run_steps(const dashi_ens_run *r) {
  return r->ens->steps;
}
const dashi_ens_records *dashi_ens_run_records(const dashi_ens_run *r) {
  return &r->rec;
}

#define GROW(ptr, count)                                                                           \
  do {                                                                                             \
    void *np_ = realloc((ptr), sizeof(*(ptr)) * (size_t)(count) + 1);                              \
    if (!np_) return dashi_err(DASHI_ERR_GENERIC, "out of memory growing the ensemble records");   \
    (ptr) = np_;                                                                                   \
  } while (0)

static int grow(dashi_ens_run *r) {
  if (r->rec.ns < r->cap) return 0;
  int cap = r->cap ? 2 * r->cap : 16, m = r->m, D = r->l->D;
  dashi_ens_records *c = &r->rec;
  GROW(c->step, cap);
  GROW(c->time, cap);
  GROW(r->lscores, (size_t)cap * m * DASHI_NSCORES);
  GROW(r->lcstats, (size_t)cap * m * DASHI_NCSTATS);
  GROW(r->lhist, (size_t)cap * m * r->iters);
  if (r->rank == 0) {
    GROW(c->base_scores, (size_t)2 * cap * DASHI_NSCORES);
    GROW(c->base_cstats, (size_t)2 * cap * DASHI_NCSTATS);
    GROW(c->z_mean, (size_t)cap * D);
    GROW(c->z_true, (size_t)cap * D);
    if (c->nsave) {
      GROW(c->decoded, (size_t)cap * c->nsave * fieldsz(r));
      GROW(c->truth, (size_t)cap * fieldsz(r));
    }
    /* the baselines are stored [2][cap][...]: move the persistence block when growing */
    if (r->cap)
      for (int b = 1; b >= 1; b--) {
        memmove(c->base_scores + (size_t)b * cap * DASHI_NSCORES,
                c->base_scores + (size_t)b * r->cap * DASHI_NSCORES,
                sizeof(double) * (size_t)r->cap * DASHI_NSCORES);
        memmove(c->base_cstats + (size_t)b * cap * DASHI_NCSTATS,
                c->base_cstats + (size_t)b * r->cap * DASHI_NCSTATS,
                sizeof(double) * (size_t)r->cap * DASHI_NCSTATS);
      }
  }
  r->cap = cap;
  c->cap = cap;
  return 0;
}

/* score the decoded field omega of state z against the current truth (if any) */
static int score_decoded(dashi_ens_run *r, const double *omega, const double *z,
                         const double *z_true, bool truth, double *scores) {
  for (int k = 0; k < DASHI_NSCORES; k++) scores[k] = NAN;
  if (!truth) return 0;
  dashi_field_summary dec = {.omega = omega, .Ek = r->ek}, tru = {.omega = r->tomega, .Ek = r->tek};
  DASHI_CALL(dashi_decoder_moments(r->dec, omega, &dec.E, &dec.Z, r->ek));
  DASHI_CALL(dashi_decoder_moments(r->dec, r->tomega, &tru.E, &tru.Z, r->tek));
  dashi_score(r->n, &dec, &tru, scores);
  if (z_true) scores[DASHI_SC_ZERR] = dashi_z_error(r->l, z, z_true);
  return 0;
}

/* decode z with fining state f (CPU) and score it */
static int decode_score(dashi_ens_run *r, const double *z, dashi_fining *f, const double *z_true,
                        bool truth, double *scores, double *cstats, int *hist) {
  dashi_decode_stats st;
  DASHI_CALL(dashi_decode(r->dec, z, f, r->omega, &st, hist));
  dashi_cstats_fill(&st, cstats);
  return score_decoded(r, r->omega, z, z_true, truth, scores);
}

/* -proxy_backend vulkan: every member of this rank in one GPU decode (history straight into the
 * records: [m][iters] of score time t is contiguous) */
static int gpu_decode_all(dashi_ens_run *r, int t) {
#ifdef DASHI_WITH_VULKAN
  int *hist = r->lhist + (size_t)t * r->m * r->iters;
  if (r->p.dp.iters == 0) /* no sweep: the one history slot per member says "not run" */
    for (int i = 0; i < r->m; i++) hist[i] = -1;
  return dashi_vk_decode(r->vdec, r->ens->Z, r->vomega, r->vst, r->p.dp.iters ? hist : NULL, NULL);
#else
  (void)r, (void)t;
  return dashi_err(DASHI_ERR_DEVICE, "-proxy_backend vulkan: built without the Vulkan backend");
#endif
}

static int score_body(dashi_ens_run *r, const double *truth_canon, const double *z_true) {
  dashi_ens_records *c = &r->rec;
  const int t = c->ns, m = r->m, D = r->l->D, nsave = c->nsave;
  const bool truth = truth_canon != NULL;
  const size_t f = fieldsz(r);
  if (truth) DASHI_CALL(dashi_decoder_real(r->dec, truth_canon, r->tomega));
  if (r->vdec) DASHI_CALL(gpu_decode_all(r, t));
  for (int j = 0; j < m; j++) {
    size_t o = (size_t)t * m + j;
    const double *zj = r->ens->Z + (size_t)j * D, *om = r->omega;
    if (r->vdec) {
      om = r->vomega + (size_t)j * f;
      dashi_cstats_fill(&r->vst[j], r->lcstats + o * DASHI_NCSTATS);
      DASHI_CALL(score_decoded(r, om, zj, z_true, truth, r->lscores + o * DASHI_NSCORES));
    } else {
      DASHI_CALL(decode_score(r, zj, r->fin[j], z_true, truth, r->lscores + o * DASHI_NSCORES,
                              r->lcstats + o * DASHI_NCSTATS, r->lhist + o * r->iters));
    }
    int g = r->ens->m0 + j;
    if (g < nsave) { /* decoded field of a saved member to rank 0 */
      if (r->rank == 0)
        memcpy(c->decoded + ((size_t)t * nsave + g) * f, om, sizeof(double) * f);
      else
        DASHI_MPI(MPI_Send(om, (int)f, MPI_DOUBLE, 0, 77, r->comm));
    }
  }
  if (r->rank == 0)
    for (int g = m; g < nsave; g++)
      DASHI_MPI(MPI_Recv(c->decoded + ((size_t)t * nsave + g) * f, (int)f, MPI_DOUBLE, g / m, 77,
                         r->comm, MPI_STATUS_IGNORE));
  /* ensemble mean in member order (independent of the rank count) */
  DASHI_MPI(MPI_Gather(r->ens->Z, m * D, MPI_DOUBLE, r->zall, m * D, MPI_DOUBLE, 0, r->comm));
  if (r->rank == 0) {
    double *zm = c->z_mean + (size_t)t * D;
    for (int i = 0; i < D; i++) zm[i] = 0;
    for (int g = 0; g < r->p.members; g++)
      for (int i = 0; i < D; i++) zm[i] += r->zall[(size_t)g * D + i];
    for (int i = 0; i < D; i++) zm[i] /= r->p.members;
    double *zt = c->z_true + (size_t)t * D;
    for (int i = 0; i < D; i++) zt[i] = z_true ? z_true[i] : NAN;
    if (nsave && truth)
      memcpy(c->truth + (size_t)t * f, r->tomega, sizeof(double) * f);
    else if (nsave)
      for (size_t k = 0; k < f; k++) c->truth[(size_t)t * f + k] = NAN;
    int *scratch = malloc(sizeof(int) * (size_t)r->iters);
    for (int b = 0; b < 2; b++) {
      double *bs = c->base_scores + ((size_t)b * r->cap + t) * DASHI_NSCORES;
      double *bc = c->base_cstats + ((size_t)b * r->cap + t) * DASHI_NCSTATS;
      const double *zb = b == 0 ? c->z0 : z_true;
      if (!truth || !zb) {
        for (int k = 0; k < DASHI_NSCORES; k++) bs[k] = NAN;
        for (int k = 0; k < DASHI_NCSTATS; k++) bc[k] = NAN;
        continue;
      }
      int rc = decode_score(r, zb, r->fin_base[b], z_true, truth, bs, bc, scratch);
      if (rc) {
        free(scratch);
        return rc;
      }
    }
    free(scratch);
  }
  return 0;
}

int dashi_ens_run_score(dashi_ens_run *r, int64_t step, double time, const double *truth_canon,
                        const double *z_true) {
  if (!truth_canon != !z_true)
    return dashi_err(DASHI_ERR_GENERIC, "internal error: truth and its encoding come together");
  DASHI_CALL(grow(r));
  /* GPU rollouts: the members' states come to the host here, at score times only */
  int rc = dashi_err_agree(r->comm, dashi_ensemble_host(r->ens));
  if (rc) return rc;
  rc = dashi_err_agree(r->comm, score_body(r, truth_canon, z_true));
  if (rc) return rc;
  r->rec.step[r->rec.ns] = step;
  r->rec.time[r->rec.ns] = time;
  r->rec.ns++;
  r->rec.gathered = false;
  return 0;
}

int dashi_ens_run_gather(dashi_ens_run *r, const dashi_ens_records **out) {
  dashi_ens_records *c = &r->rec;
  const int T = c->ns, m = r->m, M = r->p.members, it = r->iters;
  if (!c->gathered) {
    free(c->scores), free(c->cstats), free(c->history);
    c->scores = c->cstats = NULL;
    c->history = NULL;
    double *as = NULL, *ac = NULL;
    int *ah = NULL;
    if (r->rank == 0) {
      as = malloc(sizeof(double) * ((size_t)T * M * DASHI_NSCORES + 1));
      ac = malloc(sizeof(double) * ((size_t)T * M * DASHI_NCSTATS + 1));
      ah = malloc(sizeof(int) * ((size_t)T * M * it + 1));
    }
    /* each rank's local block [T][m][k] lands at [rank][T][m][k] */
    int n1 = T * m * DASHI_NSCORES, n2 = T * m * DASHI_NCSTATS, n3 = T * m * it;
    DASHI_MPI(MPI_Gather(r->lscores, n1, MPI_DOUBLE, as, n1, MPI_DOUBLE, 0, r->comm));
    DASHI_MPI(MPI_Gather(r->lcstats, n2, MPI_DOUBLE, ac, n2, MPI_DOUBLE, 0, r->comm));
    DASHI_MPI(MPI_Gather(r->lhist, n3, MPI_INT, ah, n3, MPI_INT, 0, r->comm));
    if (r->rank == 0) {
      c->scores = malloc(sizeof(double) * ((size_t)T * M * DASHI_NSCORES + 1));
      c->cstats = malloc(sizeof(double) * ((size_t)T * M * DASHI_NCSTATS + 1));
      c->history = malloc(sizeof(int) * ((size_t)T * M * it + 1));
      for (int g = 0; g < M; g++)
        for (int t = 0; t < T; t++) {
          size_t src = ((size_t)(g / m) * T + t) * m + g % m, dst = (size_t)g * T + t;
          memcpy(c->scores + dst * DASHI_NSCORES, as + src * DASHI_NSCORES,
                 sizeof(double) * DASHI_NSCORES);
          memcpy(c->cstats + dst * DASHI_NCSTATS, ac + src * DASHI_NCSTATS,
                 sizeof(double) * DASHI_NCSTATS);
          memcpy(c->history + dst * it, ah + src * it, sizeof(int) * (size_t)it);
        }
      /* baselines: compact [2][cap] to [2][T] */
      for (int b = 1; b < 2 && T < r->cap; b++) {
        memmove(c->base_scores + (size_t)b * T * DASHI_NSCORES,
                c->base_scores + (size_t)b * r->cap * DASHI_NSCORES,
                sizeof(double) * (size_t)T * DASHI_NSCORES);
        memmove(c->base_cstats + (size_t)b * T * DASHI_NCSTATS,
                c->base_cstats + (size_t)b * r->cap * DASHI_NCSTATS,
                sizeof(double) * (size_t)T * DASHI_NCSTATS);
      }
      r->cap = T; /* the compacted layout is [2][T]; further scores re-grow from here */
      c->cap = T;
    }
    free(as), free(ac), free(ah);
    c->gathered = true;
  }
  if (out) *out = c;
  return 0;
}

int dashi_ens_run_last_mean(const dashi_ens_run *r, double out[2]) {
  double loc[2] = {0, 0};
  int t = r->rec.ns - 1;
  for (int j = 0; j < r->m && t >= 0; j++)
    for (int k = 0; k < 2; k++) loc[k] += r->lscores[((size_t)t * r->m + j) * DASHI_NSCORES + k];
  DASHI_MPI(MPI_Allreduce(loc, out, 2, MPI_DOUBLE, MPI_SUM, r->comm));
  out[0] /= r->p.members, out[1] /= r->p.members;
  return 0;
}

void dashi_ens_run_print(const dashi_ens_run *r) {
  const dashi_ens_records *c = &r->rec;
  if (r->rank || !c->gathered || c->ns == 0) return;
  int t = c->ns - 1, M = c->M;
  double s[DASHI_NSCORES] = {0}, cs[DASHI_NCSTATS] = {0};
  for (int g = 0; g < M; g++) {
    for (int k = 0; k < DASHI_NSCORES; k++)
      s[k] += c->scores[((size_t)g * c->ns + t) * DASHI_NSCORES + k] / M;
    for (int k = 0; k < DASHI_NCSTATS; k++)
      cs[k] += c->cstats[((size_t)g * c->ns + t) * DASHI_NCSTATS + k] / M;
  }
  const double *p = c->base_scores + (size_t)t * DASHI_NSCORES;
  const double *e = c->base_scores + ((size_t)c->ns + t) * DASHI_NSCORES;
  printf("ensemble at step %lld (lead %lld steps, %d member(s), decode_N %d):\n",
         (long long)c->step[t], (long long)(c->step[t] - c->start_step), M, c->n);
  if (isfinite(s[DASHI_SC_REL_L2]) || isfinite(p[DASHI_SC_REL_L2])) {
    printf("  %-22s %10s %10s %10s %10s %10s\n", "", "rel_L2", "corr", "dE", "dZ", "z_err");
    printf("  %-22s %10.4f %10.4f %10.3g %10.3g %10.4f\n", "proxy (member mean)", s[0], s[1], s[2],
           s[3], s[5]);
    printf("  %-22s %10.4f %10.4f %10.3g %10.3g %10.4f\n", "persistence (z0 fixed)", p[0], p[1],
           p[2], p[3], p[5]);
    printf("  %-22s %10.4f %10.4f %10.3g %10.3g %10.4f\n", "encode->decode ceiling", e[0], e[1],
           e[2], e[3], e[5]);
  }
  printf("  carrier (member mean): support %.0f, after majority %.0f, after annihilation %.0f "
         "(%.1f iterations), alive %.0f, mean life %.2f, p95 life %.0f, gain %.4g\n",
         cs[DASHI_CS_SUPPORT], cs[DASHI_CS_MAJORITY], cs[DASHI_CS_ANNIHILATED], cs[DASHI_CS_ITERS],
         cs[DASHI_CS_ALIVE], cs[DASHI_CS_MEAN_LIFE], cs[DASHI_CS_P95_LIFE], cs[DASHI_CS_GAIN]);
  fflush(stdout);
}

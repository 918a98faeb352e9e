/* dashi run: the coupled LES + proxy groups (SPEC §1, §3-§7).
 *
 * World ranks [0, P) form the LES group (-les_ranks P, default all but one), the rest the proxy
 * group. At every encode time the LES group encodes its state in distributed spectral space and
 * its rank 0 sends the proxy state z (O(D) numbers) to proxy rank 0; at every score time of the
 * ensemble phase the message also carries the truth truncated to decode_N. Messages go out with
 * MPI_Issend from a ring of -queue_depth buffers: a synchronous send completes only once the proxy
 * has taken the message, so at most queue_depth messages are in flight; when the ring is full the
 * LES waits (back-pressure, timed and reported). Nothing is dropped and MPI keeps the order.
 *
 * The proxy group stores every frame, learns A once the training window [first frame, first frame
 * + train_steps] is complete, starts the ensemble from that (latest) truth state, rolls it out one
 * step per frame and decodes/scores it at every score time. If the proxy fails (e.g. a diverging
 * rollout) it keeps draining the LES messages, so the truth run completes; both write their
 * results and the command exits with the error. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "dashi/signals.h"
#include "dashi/error.h"
#include "dashi/io.h"
#include "dashi/log.h"
#include "dashi/proxy_io.h"
#include "proxy_cmd.h"

enum { MSG_FRAME = 1, MSG_ANCHORS = 2, MSG_END = 3 };
enum { TAG_DATA = 4242, TAG_SUMMARY = 4243 };
enum { HDR = 6 }; /* FRAME: type, step, time, has_truth, D, n | z[D] | truth[n*n] */
enum {
  AHDR = 12
}; /* ANCHORS: type, K, N, n, k_cut, mid_cut, topk, smooth_k, tau, dt, -, - |
      (kx, ky) x K */

typedef struct {
  int64_t E, score_every, train_steps, steps;
  int members, P, W;
  char dir[1024];
} run_plan;

/* ================= LES side ================= */

typedef struct {
  MPI_Comm world;
  int les_rank, proxy_root;
  dashi_options *o;
  const run_plan *rp;
  dashi_proxy_layout l;
  bool have_layout;
  dashi_encoder *enc;
  double *canon, *slab, *z, *tcanon;
  int n, Q, next;
  size_t slot_len;
  double **slot;
  MPI_Request *req;
  int64_t first_frame, train_end, frames;
  double wait_s, drain_s, encode_s, bytes; /* waits in the time loop / after it */
  long long msgs;
} les_side;

/* the oldest buffer of the ring, after its send has been taken by the proxy */
static int slot_acquire(les_side *q, double **buf) {
  if (q->req[q->next] != MPI_REQUEST_NULL) {
    double t = dashi_wtime();
    DASHI_MPI(MPI_Wait(&q->req[q->next], MPI_STATUS_IGNORE));
    q->wait_s += dashi_wtime() - t;
  }
  *buf = q->slot[q->next];
  return 0;
}

static int slot_send(les_side *q, size_t len) {
  DASHI_MPI(MPI_Issend(q->slot[q->next], (int)len, MPI_DOUBLE, q->proxy_root, TAG_DATA, q->world,
                       &q->req[q->next]));
  q->next = (q->next + 1) % q->Q;
  q->msgs++;
  q->bytes += 8.0 * (double)len;
  return 0;
}

/* first encode time: layout from the grid the LES really runs (restarts may change N) */
static int les_first(les_side *q, dashi_les *les) {
  dashi_proxy_config c;
  DASHI_CALL(dashi_proxy_config_from_options(q->o, les->g->N, &c));
  DASHI_CALL(dashi_proxy_layout_init(&c, &q->l));
  q->have_layout = true;
  DASHI_CALL(pc_decode_n(q->o, &q->l, &q->n));
  DASHI_CALL(dashi_encoder_create(&q->l, les->g, &q->enc));
  const dashi_grid *g = les->g;
  q->canon = malloc(sizeof(double) * 2 * (size_t)g->nky * g->N + 1);
  q->slab = malloc(sizeof(double) * (size_t)g->nx * g->N + 1);
  q->z = malloc(sizeof(double) * (size_t)q->l.D);
  q->tcanon = malloc(sizeof(double) * (size_t)q->n * q->n);
  q->first_frame = les->step;
  q->train_end = les->step + q->rp->train_steps;
  if (q->les_rank == 0) {
    q->slot_len = HDR + (size_t)q->l.D + (size_t)q->n * q->n;
    if (q->slot_len < AHDR + 2 * (size_t)q->l.K) q->slot_len = AHDR + 2 * (size_t)q->l.K;
    for (int k = 0; k < q->Q; k++) q->slot[k] = malloc(sizeof(double) * q->slot_len);
  }
  return 0;
}

static int les_at_step(void *ctx, dashi_les *les) {
  les_side *q = ctx;
  if (les->step % q->rp->E) return 0;
  double t0 = dashi_wtime(), wait0 = q->wait_s;
  bool first = !q->enc;
  if (first) DASHI_CALL(les_first(q, les));
  DASHI_CALL(les->b->ops->spec_get(les->b, les->w, q->canon));
  DASHI_CALL(dashi_les_omega_slab(les, q->slab));
  DASHI_CALL(dashi_encode(q->enc, q->canon, q->slab, q->z));
  bool truth = les->step >= q->train_end && les->step % q->rp->score_every == 0;
  if (truth) DASHI_CALL(dashi_truncate_gather(les->g, q->canon, q->n, q->tcanon, 0));
  q->frames++;
  if (q->les_rank == 0) {
    double *b;
    if (first) { /* the anchors, frozen from this frame on */
      DASHI_CALL(slot_acquire(q, &b));
      const dashi_proxy_config *c = &q->l.cfg;
      double h[AHDR] = {MSG_ANCHORS, q->l.K,      c->N,   q->n,        c->k_cut, c->mid_cut,
                        c->topk,     c->smooth_k, c->tau, les->cfg.dt, 0,        0};
      memcpy(b, h, sizeof h);
      for (int i = 0; i < q->l.K; i++)
        b[AHDR + 2 * i] = q->l.anchors[i].kx, b[AHDR + 1 + 2 * i] = q->l.anchors[i].ky;
      DASHI_CALL(slot_send(q, AHDR + 2 * (size_t)q->l.K));
    }
    DASHI_CALL(slot_acquire(q, &b));
    b[0] = MSG_FRAME, b[1] = (double)les->step, b[2] = les->time, b[3] = truth, b[4] = q->l.D,
    b[5] = q->n;
    memcpy(b + HDR, q->z, sizeof(double) * (size_t)q->l.D);
    size_t len = HDR + (size_t)q->l.D;
    if (truth) {
      memcpy(b + len, q->tcanon, sizeof(double) * (size_t)q->n * q->n);
      len += (size_t)q->n * q->n;
    }
    DASHI_CALL(slot_send(q, len));
  }
  q->encode_s += dashi_wtime() - t0 - (q->wait_s - wait0);
  return 0;
}

/* after the LES finished (or failed): drain the ring, then tell the proxy */
static int les_finish(les_side *q, int les_rc) {
  if (q->les_rank) return 0;
  double t = dashi_wtime();
  DASHI_MPI(MPI_Waitall(q->Q, q->req, MPI_STATUSES_IGNORE));
  q->drain_s = dashi_wtime() - t;
  double end[6] = {MSG_END, les_rc, (double)q->frames, q->wait_s, (double)q->msgs, q->bytes};
  DASHI_MPI(MPI_Send(end, 6, MPI_DOUBLE, q->proxy_root, TAG_DATA, q->world));
  return 0;
}

static void les_free(les_side *q) {
  dashi_encoder_destroy(q->enc);
  if (q->have_layout) dashi_proxy_layout_free(&q->l);
  for (int k = 0; q->slot && k < q->Q; k++) free(q->slot[k]);
  free(q->slot), free(q->req), free(q->canon), free(q->slab), free(q->z), free(q->tcanon);
}

/* ================= proxy side ================= */

typedef struct {
  MPI_Comm world, pc;
  int rank, size;
  dashi_options *o;
  const run_plan *rp;
  dashi_proxy_layout l;
  bool have_layout;
  int n;
  double dt;
  int64_t nf, cap;
  double *z, *time;
  int64_t *step;
  double *A;
  dashi_fit_report fit;
  bool learned;
  int64_t train_first, train_end;
  dashi_ens_run *run;
  dashi_ens_params ep;
  double *buf;
  long long buflen;
  int failed;
  char why[4096];
  double end[6];
} proxy_side;

static int proxy_anchors(proxy_side *p, const double *b) {
  int K = (int)b[1];
  p->n = (int)b[3];
  p->dt = b[9];
  /* the configuration the LES group encodes with (a restart may have adopted the checkpoint's) */
  dashi_proxy_config c = {.N = (int)b[2],
                          .k_cut = (int)b[4],
                          .mid_cut = (int)b[5],
                          .topk = (int)b[6],
                          .smooth_k = (int)b[7],
                          .tau = b[8]};
  DASHI_CALL(dashi_proxy_layout_init(&c, &p->l));
  p->have_layout = true;
  dashi_mode *a = malloc(sizeof *a * (size_t)(K + 1));
  for (int i = 0; i < K; i++) a[i] = (dashi_mode){(int)b[AHDR + 2 * i], (int)b[AHDR + 1 + 2 * i]};
  int rc = dashi_proxy_layout_set_anchors(&p->l, K, a);
  free(a);
  DASHI_CALL(rc);
  DASHI_CALL(pc_ens_params(p->o, &p->l, p->n, &p->ep));
  dashi_log(
      p->pc,
      "dashi run: proxy group of %d rank(s): D=%d (|L|=%d, K=%d anchors frozen from the first "
      "frame), decode_N %d, %d member(s)\n",
      p->size, p->l.D, p->l.nL, p->l.K, p->n, p->ep.members);
  return 0;
}

static int learn_now(proxy_side *p) {
  const int D = p->l.D, T = (int)p->nf - 1;
  p->A = malloc(sizeof(double) * (size_t)D * D);
  dashi_learn_opts lo = {.ridge = dashi_opt_r(p->o, "ridge"),
                         .standardize = dashi_opt_b(p->o, "standardize")};
  dashi_log(p->pc,
            "dashi run: training window steps %lld..%lld complete: learning A from %d pairs\n",
            (long long)p->train_first, (long long)p->train_end, T);
  DASHI_CALL(dashi_learn(p->pc, T, D, p->z, p->z + D, &lo, p->A, &p->fit));
  dashi_fit_report_print(p->pc, &p->fit);
  p->learned = true;
  return dashi_ens_run_create(p->pc, &p->l, p->A, &p->ep, &p->run);
}

static int proxy_score(proxy_side *p, int64_t step, double time, const double *z,
                       const double *truth) {
  if (step % p->rp->score_every) return 0;
  if (!truth)
    return dashi_err(DASHI_ERR_GENERIC,
                     "internal error: no truth with the frame of score time %lld", (long long)step);
  DASHI_CALL(dashi_ens_run_score(p->run, step, time, truth, z));
  double m[2];
  DASHI_CALL(dashi_ens_run_last_mean(p->run, m));
  dashi_log(p->pc, "proxy: step %lld (lead %lld): member mean rel_L2 %.4f, corr %.4f\n",
            (long long)step, (long long)(step - p->train_end), m[0], m[1]);
  return 0;
}

/* every frame is kept (also after a proxy failure: the trajectory is still worth learning from) */
static int proxy_store(proxy_side *p, const double *b) {
  const int D = p->l.D;
  int64_t step = (int64_t)b[1];
  double time = b[2];
  const double *z = b + HDR;
  if (!p->have_layout || (int)b[4] != D || (int)b[5] != p->n)
    return dashi_err(DASHI_ERR_GENERIC,
                     "internal error: frame of D=%d, n=%d before/against the "
                     "anchors (D=%d, n=%d)",
                     (int)b[4], (int)b[5], D, p->n);
  if (p->nf == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 256;
    p->z = realloc(p->z, sizeof(double) * (size_t)p->cap * D);
    p->step = realloc(p->step, sizeof(int64_t) * (size_t)p->cap);
    p->time = realloc(p->time, sizeof(double) * (size_t)p->cap);
    if (!p->z || !p->step || !p->time)
      return dashi_err(DASHI_ERR_GENERIC, "out of memory for the frames");
  }
  memcpy(p->z + (size_t)p->nf * D, z, sizeof(double) * (size_t)D);
  p->step[p->nf] = step, p->time[p->nf] = time;
  p->nf++;
  if (p->nf == 1) p->train_first = step, p->train_end = step + p->rp->train_steps;
  return 0;
}

static int proxy_frame(proxy_side *p, const double *b) {
  DASHI_CALL(proxy_store(p, b));
  const int D = p->l.D;
  int64_t step = (int64_t)b[1];
  double time = b[2];
  const double *z = b + HDR, *truth = b[3] != 0 ? b + HDR + D : NULL;
  if (!p->learned) {
    if (step < p->train_end) return 0;
    DASHI_CALL(learn_now(p));
    DASHI_CALL(dashi_ens_run_start(p->run, z, step, time));
    dashi_log(p->pc, "dashi run: ensemble phase from the truth state at step %lld\n",
              (long long)step);
    return proxy_score(p, step, time, z, truth);
  }
  DASHI_CALL(dashi_ens_run_advance(p->run));
  return proxy_score(p, step, time, z, truth);
}

/* Waiting for the LES is done by polling with a growing sleep (20 us .. 1 ms) rather than in a
 * blocking MPI call: Open MPI spins in blocking calls, and an idle proxy rank would take a core
 * from the LES wherever ranks share cores. The added latency is below the LES step time. */
static void nap(long *ns) {
  struct timespec ts = {0, *ns};
  nanosleep(&ts, NULL);
  *ns = *ns < 1000000 ? 2 * *ns : 1000000;
}

static int wait_request(MPI_Request *r) {
  long ns = 20000;
  for (;;) {
    int done = 0;
    DASHI_MPI(MPI_Test(r, &done, MPI_STATUS_IGNORE));
    if (done) return 0;
    nap(&ns);
  }
}

static int proxy_loop(proxy_side *p, int les_root) {
  for (;;) {
    long long cnt = 0;
    if (p->rank == 0) {
      MPI_Status st;
      int c, flag = 0;
      long ns = 20000;
      for (;;) {
        DASHI_MPI(MPI_Iprobe(les_root, TAG_DATA, p->world, &flag, &st));
        if (flag) break;
        nap(&ns);
      }
      DASHI_MPI(MPI_Get_count(&st, MPI_DOUBLE, &c));
      cnt = c;
      if (cnt > p->buflen) p->buf = realloc(p->buf, sizeof(double) * (size_t)cnt), p->buflen = cnt;
      DASHI_MPI(MPI_Recv(p->buf, c, MPI_DOUBLE, les_root, TAG_DATA, p->world, MPI_STATUS_IGNORE));
    }
    MPI_Request rq;
    DASHI_MPI(MPI_Ibcast(&cnt, 1, MPI_LONG_LONG, 0, p->pc, &rq));
    DASHI_CALL(wait_request(&rq));
    if (cnt > p->buflen) p->buf = realloc(p->buf, sizeof(double) * (size_t)cnt), p->buflen = cnt;
    DASHI_MPI(MPI_Bcast(p->buf, (int)cnt, MPI_DOUBLE, 0, p->pc));
    int type = (int)p->buf[0];
    if (type == MSG_END) {
      memcpy(p->end, p->buf, sizeof p->end);
      return 0;
    }
    if (p->failed) { /* drain: the LES runs to its end; frames are still kept */
      if (type == MSG_FRAME && p->have_layout) {
        int rc = dashi_err_agree(p->pc, proxy_store(p, p->buf));
        if (rc) return rc;
      }
      continue;
    }
    int rc = type == MSG_ANCHORS ? proxy_anchors(p, p->buf) : proxy_frame(p, p->buf);
    rc = dashi_err_agree(p->pc, rc);
    if (rc) {
      p->failed = rc;
      snprintf(p->why, sizeof p->why, "%s", dashi_err_msg());
      dashi_log(p->pc,
                "dashi run: the proxy stopped: %s\n  the LES group continues to -steps; the proxy "
                "results so far are kept in %s/proxy.h5\n",
                p->why, p->rp->dir);
    }
  }
}

/* A continued run (-restart, -resume auto) starts the proxy afresh (docs/proxy.md): the proxy file
 * of the earlier segment is kept beside the new one, never overwritten. */
static int keep_previous(proxy_side *p, const char *path) {
  bool cont = dashi_opt_s(p->o, "restart")[0] || !strcmp(dashi_opt_s(p->o, "resume"), "auto");
  int rc = 0;
  if (p->rank == 0 && cont && dashi_path_exists(path)) {
    char keep[1300];
    long long s = p->nf ? (long long)p->step[0] : 0;
    snprintf(keep, sizeof keep, "%s/proxy.before_step%lld.h5", p->rp->dir, s);
    for (int k = 2; dashi_path_exists(keep) && k < 1000; k++)
      snprintf(keep, sizeof keep, "%s/proxy.before_step%lld.%d.h5", p->rp->dir, s, k);
    if (rename(path, keep))
      rc = dashi_err(DASHI_ERR_IO,
                     "cannot keep the earlier segment's %s as %s (%s): move it away and rerun",
                     path, keep, strerror(errno));
    else
      printf("dashi run: the proxy restarts with this segment; the earlier segment's proxy file "
             "is kept as %s\n",
             keep);
  }
  return dashi_err_agree(p->pc, rc);
}

static int proxy_write(proxy_side *p) {
  char path[1200];
  snprintf(path, sizeof path, "%s/proxy.h5", p->rp->dir);
  DASHI_CALL(keep_previous(p, path));
  char truth[1200];
  snprintf(truth, sizeof truth, "%s/truth.h5", p->rp->dir);
  dashi_proxy_file *pf;
  DASHI_CALL(dashi_pfile_create(p->pc, path, &p->l, "run", p->o, truth, &pf));
  int rc = dashi_pfile_write_z(pf, p->nf, p->z, p->step, p->time, p->rp->E, p->dt);
  if (!rc && p->learned)
    rc =
        dashi_pfile_write_A(pf, p->A, &p->fit, p->train_first, p->train_end, path, p->rp->E, p->dt);
  if (!rc && p->run) {
    const dashi_ens_records *rec;
    rc = dashi_ens_run_gather(p->run, &rec);
    if (!rc) dashi_ens_run_print(p->run);
    if (!rc)
      rc = dashi_pfile_write_ensemble(pf, rec, &p->ep, dashi_opt_s(p->o, "decode_residual"),
                                      dashi_opt_s(p->o, "noise_mode"));
  }
  char status[4200];
  if (p->failed)
    snprintf(status, sizeof status, "failed: %s", p->why);
  else if (p->end[1] != 0)
    snprintf(status, sizeof status, "partial: the LES group stopped (code %d)", (int)p->end[1]);
  else
    snprintf(status, sizeof status, "complete");
  rc = dashi_pfile_close(pf, rc, status);
  if (!rc) dashi_log(p->pc, "  proxy file: %s (%s)\n", path, status);
  return rc;
}

static void proxy_free(proxy_side *p) {
  dashi_ens_run_destroy(p->run);
  if (p->have_layout) dashi_proxy_layout_free(&p->l);
  free(p->z), free(p->step), free(p->time), free(p->A), free(p->buf);
}

/* ================= the command ================= */

static int plan_run(MPI_Comm world, dashi_options *o, run_plan *rp) {
  MPI_Comm_size(world, &rp->W);
  DASHI_CALL(pc_check_backend(world, o, true));
  long long P = dashi_opt_i(o, "les_ranks");
  if (rp->W < 2)
    return dashi_err(DASHI_ERR_USAGE,
                     "dashi run needs at least 2 ranks (LES group + proxy group of at least one "
                     "rank); use mpiexec -n P+1, or `dashi truth` for the LES alone");
  if (P == 0) P = rp->W - 1;
  if (P < 1 || P >= rp->W)
    return dashi_err(
        DASHI_ERR_USAGE,
        "-les_ranks %lld of %d ranks leaves %lld proxy ranks: the proxy group needs at "
        "least one rank (use -les_ranks <= %d)",
        P, rp->W, rp->W - P, rp->W - 1);
  rp->P = (int)P;
  rp->members = (int)dashi_opt_i(o, "members");
  if (rp->members < 1 || rp->members % (rp->W - rp->P))
    return dashi_err(DASHI_ERR_USAGE,
                     "-members %d is not a positive multiple of the %d proxy rank(s) (members are "
                     "distributed evenly over the proxy group)",
                     rp->members, rp->W - rp->P);
  rp->E = dashi_opt_i(o, "encode_every");
  rp->score_every = dashi_opt_i(o, "score_every");
  if (rp->E < 1)
    return dashi_err(DASHI_ERR_USAGE, "-encode_every %lld must be >= 1", (long long)rp->E);
  if (rp->score_every < 1 || rp->score_every % rp->E)
    return dashi_err(DASHI_ERR_USAGE,
                     "-score_every %lld must be a positive multiple of -encode_every %lld",
                     (long long)rp->score_every, (long long)rp->E);
  double t_end = dashi_opt_r(o, "t_end");
  rp->steps = t_end > 0 ? (int64_t)llround(t_end / dashi_opt_r(o, "dt")) : dashi_opt_i(o, "steps");
  rp->train_steps = dashi_opt_i(o, "train_steps");
  if (rp->train_steps == 0) rp->train_steps = rp->steps / 2 - (rp->steps / 2) % rp->E;
  if (rp->train_steps < rp->E || rp->train_steps % rp->E || rp->train_steps >= rp->steps)
    return dashi_err(DASHI_ERR_USAGE,
                     "-train_steps %lld must be a positive multiple of -encode_every %lld below "
                     "-steps %lld (the ensemble phase follows the training window)",
                     (long long)rp->train_steps, (long long)rp->E, (long long)rp->steps);
  if (dashi_opt_i(o, "queue_depth") < 1)
    return dashi_err(DASHI_ERR_USAGE, "-queue_depth %lld must be >= 1",
                     dashi_opt_i(o, "queue_depth"));
  dashi_proxy_config c;
  dashi_proxy_layout l;
  DASHI_CALL(dashi_proxy_config_from_options(o, (int)dashi_opt_i(o, "N"), &c));
  int rc = dashi_proxy_layout_init(&c, &l);
  int n = 0;
  if (!rc) rc = pc_decode_n(o, &l, &n);
  if (!rc && n <= 2 * c.mid_cut)
    rc = dashi_err(DASHI_ERR_USAGE, "-decode_N %d must exceed 2*mid_cut = %d", n, 2 * c.mid_cut);
  dashi_proxy_layout_free(&l);
  const char *out = dashi_opt_s(o, "out");
  snprintf(rp->dir, sizeof rp->dir, "%s", out[0] ? out : "runs/run");
  return rc;
}

/* world rank 0 merges the proxy's results into the run's manifest entry */
static int merge_manifest(const run_plan *rp, const double *sum) {
  char path[1100];
  snprintf(path, sizeof path, "%s/run.json", rp->dir);
  char *text = dashi_read_text(path);
  if (!text) return 0; /* the LES never got to write one */
  cJSON *e = cJSON_Parse(text);
  free(text);
  if (!e) return dashi_err(DASHI_ERR_IO, "%s is not valid JSON", path);
  cJSON_DeleteItemFromObject(e, "proxy_id");
  cJSON_AddStringToObject(e, "proxy_id", DASHI_PROXY_ID);
  cJSON *paths = cJSON_GetObjectItem(e, "paths");
  if (paths) cJSON_AddStringToObject(paths, "proxy", "proxy.h5");
  cJSON *x = cJSON_AddObjectToObject(e, "proxy");
  cJSON_AddNumberToObject(x, "les_ranks", rp->P);
  cJSON_AddNumberToObject(x, "proxy_ranks", rp->W - rp->P);
  cJSON_AddStringToObject(x, "status", sum[0] ? "failed" : "completed");
  cJSON_AddNumberToObject(x, "frames", sum[1]);
  cJSON_AddNumberToObject(x, "score_times", sum[2]);
  cJSON_AddNumberToObject(x, "last_rel_l2", sum[3]);
  cJSON_AddNumberToObject(x, "last_corr", sum[4]);
  cJSON_AddNumberToObject(x, "spectral_radius", sum[5]);
  cJSON_AddNumberToObject(x, "les_wait_s", sum[6]);
  cJSON_AddNumberToObject(x, "members", rp->members);
  cJSON_AddNumberToObject(x, "encode_every", (double)rp->E);
  cJSON_AddNumberToObject(x, "score_every", (double)rp->score_every);
  cJSON_AddNumberToObject(x, "train_steps", (double)rp->train_steps);
  if (sum[0]) {
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(e, "status"));
    char s2[512];
    snprintf(s2, sizeof s2, "%s; proxy failed", st ? st : "");
    cJSON_DeleteItemFromObject(e, "status");
    cJSON_AddStringToObject(e, "status", s2);
  }
  char *out = cJSON_PrintUnformatted(e);
  cJSON_Delete(e);
  int rc = dashi_manifest_update(rp->dir, out);
  free(out);
  return rc;
}

int dashi_cmd_run(MPI_Comm world, dashi_options *o) {
  /* every rank: a stop signal (Slurm time limit) must not kill a proxy rank; the LES group acts
   * on it at its next step boundary and the proxy group finishes with what it has received */
  dashi_signals_install();
  run_plan rp;
  memset(&rp, 0, sizeof rp);
  DASHI_CALL(plan_run(world, o, &rp));
  int wrank;
  MPI_Comm_rank(world, &wrank);
  bool les = wrank < rp.P;
  MPI_Comm sub;
  DASHI_MPI(MPI_Comm_split(world, les ? 0 : 1, wrank, &sub));
  int rc = 0;
  double sum[7] = {0, 0, 0, NAN, NAN, NAN, 0};
  if (les) {
    les_side q;
    memset(&q, 0, sizeof q);
    q.world = world, q.proxy_root = rp.P, q.o = o, q.rp = &rp;
    MPI_Comm_rank(sub, &q.les_rank);
    q.Q = (int)dashi_opt_i(o, "queue_depth");
    q.slot = calloc((size_t)q.Q, sizeof *q.slot);
    q.req = malloc(sizeof *q.req * (size_t)q.Q);
    for (int k = 0; k < q.Q; k++) q.req[k] = MPI_REQUEST_NULL;
    dashi_les_hooks hooks = {.ctx = &q, .at_step = les_at_step};
    rc = dashi_les_driver_ex(sub, o, "run", &hooks);
    int frc = les_finish(&q, rc);
    if (!rc) rc = frc;
    double enc[2] = {q.encode_s, 0}, encmax[2];
    MPI_Allreduce(enc, encmax, 2, MPI_DOUBLE, MPI_MAX, sub);
    if (q.les_rank == 0) {
      DASHI_MPI(MPI_Recv(sum, 7, MPI_DOUBLE, rp.P, TAG_SUMMARY, world, MPI_STATUS_IGNORE));
      sum[6] = q.wait_s;
      dashi_log(
          sub,
          "coupling: %lld frames, %lld messages (%.2f MB) LES -> proxy; encode %.3f ms/frame; "
          "the LES waited %.3f s for the proxy during its time loop (back-pressure, "
          "-queue_depth %d) and %.3f s after it for the proxy to finish\n",
          (long long)q.frames, q.msgs, q.bytes / 1e6,
          q.frames ? 1e3 * encmax[0] / (double)q.frames : 0.0, q.wait_s, q.Q, q.drain_s);
      if (sum[1] > 0) {
        int mrc = merge_manifest(&rp, sum);
        if (!rc) rc = mrc;
      }
    }
    les_free(&q);
  } else {
    proxy_side p;
    memset(&p, 0, sizeof p);
    p.world = world, p.pc = sub, p.o = o, p.rp = &rp;
    MPI_Comm_rank(sub, &p.rank);
    MPI_Comm_size(sub, &p.size);
    rc = proxy_loop(&p, 0);
    if (!rc && !p.failed && p.end[1] == 0 && p.nf > 0 && !p.learned) {
      p.failed = dashi_err(DASHI_ERR_USAGE,
                           "the run ended at step %lld before the end of the training window (step "
                           "%lld): nothing was learned (lower -train_steps)",
                           (long long)p.step[p.nf - 1], (long long)p.train_end);
      snprintf(p.why, sizeof p.why, "%s", dashi_err_msg());
    }
    if (!rc && p.have_layout && p.nf > 0) rc = proxy_write(&p);
    if (!rc && p.failed) rc = dashi_err(p.failed, "%s", p.why);
    if (p.rank == 0) {
      sum[0] = rc != 0, sum[1] = (double)p.nf;
      const dashi_ens_records *rec = p.run ? dashi_ens_run_records(p.run) : NULL;
      if (rec && rec->gathered && rec->ns && rec->scores) {
        int t = rec->ns - 1;
        sum[2] = rec->ns, sum[3] = sum[4] = 0;
        for (int g = 0; g < rec->M; g++)
          for (int k = 0; k < 2; k++)
            sum[3 + k] += rec->scores[((size_t)g * rec->ns + t) * DASHI_NSCORES + k] / rec->M;
      }
      if (p.learned) sum[5] = p.fit.spectral_radius;
      char keep[4096];
      snprintf(keep, sizeof keep, "%s", dashi_err_msg());
      DASHI_MPI(MPI_Send(sum, 7, MPI_DOUBLE, 0, TAG_SUMMARY, world));
      if (rc) dashi_err(rc, "%s", keep);
    }
    proxy_free(&p);
  }
  MPI_Comm_free(&sub);
  return rc;
}

/* The LES solver (SPEC §2): vorticity form, Smagorinsky SGS, RK time stepping, written once against
 * the backend ops. The state is w_hat (the unnormalized forward FFT of the vorticity). */
#ifndef DASHI_LES_H
#define DASHI_LES_H
#include <stdint.h>

#include "dashi/backend.h"
#include "dashi/options.h"

typedef enum { DASHI_TS_RK2, DASHI_TS_SSPRK3, DASHI_TS_RK4 } dashi_ts_kind;
typedef enum {
  DASHI_FORCING_NONE,
  DASHI_FORCING_KOLMOGOROV,
  DASHI_FORCING_RING
} dashi_forcing_kind;
typedef enum { DASHI_IC_RANDOM, DASHI_IC_TAYLOR_GREEN, DASHI_IC_FILE } dashi_ic_kind;

typedef struct {
  int N;
  double dt, nu0, drag;
  double Cs;
  bool sgs_on;
  dashi_sgs_form sgs_form;
  dashi_dealias dealias;
  dashi_ts_kind ts;
  dashi_forcing_kind forcing;
  double forcing_amp, kf, forcing_dk, forcing_eps;
  uint64_t seed;
  dashi_ic_kind ic;
  double k0;
  int tg_k;
  char ic_file[1024], ic_dataset[256];
  double cfl_max;
} dashi_les_config;

typedef struct {
  double time;
  int64_t step;
  double E, Z, P, max_omega, cfl, nu_t_mean, diss_Z, inj_Z;
} dashi_les_diag;

typedef struct {
  dashi_les_config cfg;
  const dashi_grid *g;
  dashi_backend *b;
  dashi_field *w;          /* state */
  dashi_field *stage[4];   /* RK stage tendencies */
  dashi_field *tmp;        /* RK intermediate state */
  dashi_field *sd[7];      /* spectral derivative fields */
  dashi_field *rl[7];      /* their real-space images */
  dashi_field *nl_real[3]; /* pointwise nonlinear products */
  dashi_field *nl_spec[3];
  dashi_field *force;   /* Kolmogorov forcing (NULL otherwise) */
  dashi_field *scratch; /* diagnostics */
  double ring_amp;      /* sqrt(dt) sigma of the ring forcing kick */
  int64_t step;
  double time;
  int64_t rhs_evals;
  /* the state is known to be zero outside the 2/3 band (|kx|, |ky| <= N/3): set by the
   * initial conditions and set_state_*, kept by the time steppers (src/les/rhs.c) */
  bool band_limited;
  /* a diagnostics record riding on the next right-hand side of the state (dashi_les_step_diag):
   * where that evaluation puts max|u|, max|v|, <nu_t> and <w T_diss> */
  double *diag_ride;
} dashi_les;

int dashi_les_config_from_options(const dashi_options *o, dashi_les_config *c);
/* the configuration of the default options at grid size N (what `dashi truth -N N` runs; tests and
 * benchmarks start from it) */
int dashi_les_config_default(int N, dashi_les_config *c);
int dashi_les_create(const dashi_les_config *c, const dashi_grid *g, dashi_backend *b,
                     dashi_les **out);
void dashi_les_destroy(dashi_les *s);

/* Initial condition per cfg (random, taylor_green, file). Sets step = 0, time = 0. */
int dashi_les_init_state(dashi_les *s);
/* Set the state from the canonical spectral layout [nky][N][2] (exact, no filtering) or from a real
 * slab [nx][N] (forward FFT, then the dealiasing filter). */
int dashi_les_set_state_spec(dashi_les *s, const double *canon);
int dashi_les_set_state_slab(dashi_les *s, const double *slab);
/* A diagnostics record's terms of the state: r[0] = max|u|, r[1] = max|v|, r[2] = <nu_t> and
 * r[3] = <w T_diss>, T_diss its dissipative tendency (SGS + nu0 + drag; left in s->scratch) -
 * through the backend's fused products where it has them (their own reductions), the same way as
 * a record riding on a step (dashi_les_step_diag). The scalars may arrive only when the backend's
 * deferred reductions close. */
int dashi_les_record_terms(dashi_les *s, double r[4]);
/* rhs = f(w) (full right-hand side, dealiased nonlinear part) */
int dashi_les_rhs(dashi_les *s, dashi_field *w, dashi_field *rhs);
/* Individual terms on state w: adv (dealiased), sgs (dealiased), linear (-nu0 k^2 - drag) w, force.
 */
int dashi_les_rhs_term(dashi_les *s, dashi_field *w, const char *term, dashi_field *out);
int dashi_les_step(dashi_les *s);
int dashi_les_diagnostics(dashi_les *s, dashi_les_diag *d);
/* One step, and in d the diagnostics of the state before it - the values dashi_les_diagnostics
 * gives there, bit for bit - taken from the step's first right-hand side (its products make u, v
 * and nu_t anyway) instead of a separate one. The step is the same as dashi_les_step's, bit for
 * bit. */
int dashi_les_step_diag(dashi_les *s, dashi_les_diag *d);
int dashi_les_spectrum(dashi_les *s, double *Ek);
/* vorticity of the state in real space, canonical slab [nx][N] */
int dashi_les_omega_slab(dashi_les *s, double *slab);
/* the same in the backend's precision where it offers it: *single says whether slab got floats */
int dashi_les_omega_slab_native(dashi_les *s, void *slab, bool *single);
/* number of forward+inverse transforms per right-hand side evaluation */
int dashi_les_ffts_per_rhs(const dashi_les *s);
int dashi_les_rhs_per_step(const dashi_les *s);
/* JSON text of solver_spec (caller frees) */
char *dashi_les_solver_spec_json(const dashi_les_config *c, bool single);

#endif

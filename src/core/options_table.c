/* Every option of every command, with its default and help. Names are fixed so that scripts and
 * job files stay stable (SPEC §9). */
#include "dashi/options.h"

#define LES    (DASHI_CMD_RUN | DASHI_CMD_TRUTH | DASHI_CMD_VALIDATE)
#define RUNS   (DASHI_CMD_RUN | DASHI_CMD_TRUTH)
#define PFILES (DASHI_CMD_ENCODE | DASHI_CMD_LEARN | DASHI_CMD_ENSEMBLE) /* proxy files */
#define PRUN   (DASHI_CMD_RUN | DASHI_CMD_ENSEMBLE)                      /* ensemble phase */
#define I      DASHI_OPT_INT
#define R      DASHI_OPT_REAL
#define B      DASHI_OPT_BOOL
#define S      DASHI_OPT_STRING

static const dashi_opt_def table[] = {
    /* grid, time, physics */
    {"N", I, "256", NULL, LES,
     "grid points per direction (even; N/2 divisible by the LES rank count)"},
    {"steps", I, "2000", NULL, LES, "number of time steps (ignored when -t_end > 0)"},
    {"t_end", R, "0", NULL, LES, "simulated end time; > 0 sets steps = round(t_end/dt)"},
    {"dt", R, "0.01", NULL, LES, "fixed time step"},
    {"nu0", R, "1e-4", NULL, LES, "molecular viscosity nu0"},
    {"seed", I, "1", NULL, LES | DASHI_CMD_ENSEMBLE,
     "seed of the counter-based RNG (initial condition, ring forcing)"},
    {"ts", S, "rk2", "rk2|ssprk3|rk4", LES, "time integrator (rk2 = Heun)"},
    {"precision", S, "double", "double|single", LES, "floating-point precision of the solver"},
    {"backend", S, "cpu", "cpu|vulkan", LES, "compute backend of the LES group"},
    {"vk_device", I, "-1", NULL, LES | PFILES,
     "Vulkan device index (dashi info) for every rank (-1: node-local rank modulo the GPU count)"},
    {"gpu_steps_per_submit", I, "0", NULL, LES,
     "Vulkan: record k time steps into one command buffer and submit it without waiting "
     "(0: automatic, a submit every 512 commands or at the next read-back)"},
    {"log_view_gpu", B, "true", NULL, RUNS,
     "with -log_view and -backend vulkan: a GPU timestamp after every command and, after the "
     "summary, the GPU time per stage of the time loop (false: neither)"},
    {"validate_steps", I, "20", NULL, DASHI_CMD_VALIDATE,
     "validate: steps of the short run on both backends"},
    {"validate_tol", R, "0", NULL, DASHI_CMD_VALIDATE,
     "validate: rel L2 tolerance of the terms, 100x for the run (0: automatic, docs/vulkan.md)"},
    {"fftw_plan", S, "estimate", "estimate|measure|patient", LES,
     "FFTW planner effort (measure/patient are faster but not bit-reproducible between runs)"},
    {"ic", S, "random", "random|taylor_green|file", LES, "initial condition"},
    {"ic_file", S, "", NULL, LES,
     "HDF5 file for -ic file (truth file, checkpoint or [N,N]/[T,N,N] dataset)"},
    {"ic_dataset", S, "/snapshots/omega", NULL, LES, "dataset holding vorticity in -ic_file"},
    {"k0", R, "10", NULL, LES,
     "peak wavenumber of the random initial spectrum k^4 exp(-2(k/k0)^2)"},
    {"tg_k", I, "1", NULL, LES, "wavenumber of the Taylor-Green initial condition"},
    {"sgs", S, "smagorinsky", "smagorinsky|none", LES, "subgrid-scale model"},
    {"Cs", R, "0.17", NULL, LES, "Smagorinsky constant"},
    {"sgs_form", S, "div", "div|lap", LES,
     "viscous term form: div = div((nu0+nu_t) grad w), lap = nu_t lap w"},
    {"drag", R, "0", NULL, LES, "linear drag coefficient mu"},
    {"forcing", S, "none", "none|kolmogorov|ring", LES, "forcing"},
    {"forcing_amp", R, "1", NULL, LES, "Kolmogorov forcing amplitude A (F = -A kf cos(kf y))"},
    {"kf", R, "4", NULL, LES, "forcing wavenumber k_f (Kolmogorov: integer; ring: shell centre)"},
    {"forcing_dk", R, "1", NULL, LES, "ring forcing shell half-width dk"},
    {"forcing_eps", R, "0.1", NULL, LES, "ring forcing energy injection rate epsilon"},
    {"dealias", S, "2/3", "none|2/3|exp", LES, "dealiasing filter of the nonlinear tendency"},
    {"trunc_alpha", R, "36", NULL, LES, "exponential filter strength alpha"},
    {"trunc_power", R, "8", NULL, LES, "exponential filter order p"},
    {"cfl_max", R, "1.0", NULL, LES, "CFL number above which the run stops (after a checkpoint)"},
    /* output and control */
    {"out", S, "", NULL, RUNS | PFILES,
     "run directory (default runs/<command>); refuses to overwrite without -force"},
    {"force", B, "false", NULL, RUNS | PFILES, "overwrite an existing run directory"},
    {"stats_every", I, "10", NULL, LES, "steps between diagnostics records (and CFL checks)"},
    {"spectra_every", I, "100", NULL, RUNS, "steps between energy spectra (0 = never)"},
    {"snapshot_every", I, "100", NULL, RUNS, "steps between vorticity snapshots (0 = never)"},
    {"checkpoint_every", I, "500", NULL, RUNS, "steps between checkpoints (0 = only at the end)"},
    {"async_output", B, "true", NULL, RUNS,
     "write snapshots and periodic checkpoints in a background thread while the time loop goes on "
     "(false: it waits for each)"},
    {"keep_checkpoints", I, "3", NULL, RUNS, "number of newest checkpoints kept"},
    {"progress_every", I, "100", NULL, LES | PFILES, "steps between progress lines (0 = none)"},
    {"restart", S, "", NULL, RUNS, "continue from this checkpoint file"},
    {"resume", S, "", "|auto", RUNS, "auto: continue from the newest valid checkpoint in -out"},
    {"les_ranks", I, "0", NULL, DASHI_CMD_RUN, "ranks of the LES group (default: all but one)"},
    /* DASHI proxy (SPEC §3-§7, docs/proxy.md) */
    {"proxy_backend", S, "cpu", "cpu|vulkan", DASHI_CMD_RUN | PFILES, "backend of the proxy group"},
    {"k_cut", I, "8", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE, "low set L: 0 < |k| <= k_cut"},
    {"mid_cut", I, "12", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE,
     "mid band M: k_cut < |k| <= mid_cut"},
    {"topk", I, "128", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE,
     "anchors: the topk largest |R_hat|^2 on M in the first frame (K = min(topk, |M|))"},
    {"smooth_k", I, "3", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE,
     "box smoothing width (cells) of the base"},
    {"tau", R, "0.1", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE,
     "support / carrier threshold |w|/max|w| > tau (ensemble: the proxy file's)"},
    {"encode_every", I, "1", NULL, DASHI_CMD_RUN | DASHI_CMD_ENCODE,
     "LES steps between encoded frames (encode: default the truth's snapshot interval)"},
    {"score_every", I, "10", NULL, PRUN,
     "LES steps between score times (a multiple of encode_every)"},
    {"train_steps", I, "0", NULL, DASHI_CMD_RUN | DASHI_CMD_LEARN,
     "training window in LES steps from the first frame (0: run = half of -steps, learn = all)"},
    {"ridge", R, "1e-6", NULL, DASHI_CMD_RUN | DASHI_CMD_LEARN,
     "ridge, relative to the mean diagonal of Z^T Z"},
    {"standardize", B, "false", NULL, DASHI_CMD_RUN | DASHI_CMD_LEARN,
     "learn on columns scaled to unit RMS (A is returned in the original variables)"},
    {"members", I, "64", NULL, PRUN, "ensemble members (a multiple of the proxy rank count)"},
    {"noise", R, "0.01", NULL, PRUN,
     "perturbation sigma, relative to the RMS of each perturbed group of z0"},
    {"noise_mode", S, "iso", "iso|lowk|anchors", PRUN, "which components of z0 are perturbed"},
    {"start", I, "0", NULL, DASHI_CMD_ENSEMBLE, "LES step of the frame the ensemble starts from"},
    {"ens_steps", I, "0", NULL, DASHI_CMD_ENSEMBLE,
     "LES steps to roll out (0: to the last truth snapshot / z frame)"},
    {"decode_N", I, "0", NULL, PRUN, "decode resolution (0: min(N, 256))"},
    {"plateau", I, "1", NULL, PRUN, "annihilation stops when fewer than this many cells change"},
    {"annihilate_iters", I, "32", NULL, PRUN, "maximum annihilation iterations"},
    {"decode_residual", S, "carrier", "carrier|none", PRUN, "residual of the decode"},
    {"save_decoded", I, "0", NULL, PRUN,
     "store the decoded fields of this many members at score times"},
    {"kernel_only", B, "false", NULL, DASHI_CMD_ENSEMBLE, "rollouts and decodes without a truth"},
    {"queue_depth", I, "8", NULL, DASHI_CMD_RUN,
     "LES -> proxy messages in flight before the LES waits"},
    {"truth", S, "", NULL, DASHI_CMD_ENCODE | DASHI_CMD_ENSEMBLE, "truth file (truth.h5)"},
    {"z", S, "", NULL, DASHI_CMD_LEARN | DASHI_CMD_ENSEMBLE, "proxy file with the trajectory /z"},
    {"A", S, "", NULL, DASHI_CMD_ENSEMBLE, "proxy file with the learned operator /A"},
};

const dashi_opt_def *dashi_option_table(int *n) {
  *n = (int)(sizeof table / sizeof table[0]);
  return table;
}

#include <string.h>

#include "dashi/backend.h"
#include "dashi/error.h"
#include "dashi/rng.h"
#ifdef DASHI_WITH_VULKAN
#include "dashi/vulkan.h"
#endif

#include <math.h>

int dashi_backend_create(const dashi_grid *g, const dashi_backend_config *cfg, dashi_backend **b) {
  if (!strcmp(cfg->name, "cpu"))
    return cfg->single ? dashi_cpu_backend_create_f32(g, cfg, b)
                       : dashi_cpu_backend_create_f64(g, cfg, b);
  if (!strcmp(cfg->name, "vulkan"))
#ifdef DASHI_WITH_VULKAN
    return dashi_vulkan_backend_create(g, cfg, b);
#else
    return dashi_err(DASHI_ERR_DEVICE,
                     "-backend vulkan: this dashi was built without the Vulkan backend "
                     "(reconfigure with -DDASHI_WITH_VULKAN=ON), and dashi never falls back to the "
                     "CPU on its own: use -backend cpu explicitly");
#endif
  return dashi_err(DASHI_ERR_USAGE, "unknown backend '%s'", cfg->name);
}

void dashi_backend_destroy(dashi_backend *b) {
  if (b) b->ops->destroy(b);
}

void dashi_ring_mode(uint64_t seed, int64_t step, int kx, int ky, double kf, double dk,
                     double out[2]) {
  out[0] = out[1] = 0.0;
  double k = sqrt((double)kx * kx + (double)ky * ky);
  if (k == 0.0 || k < kf - dk || k > kf + dk) return;
  /* canonical representative of the conjugate pair on the ky = 0 row: kx > 0 */
  int ckx = (ky == 0 && kx < 0) ? -kx : kx;
  uint64_t mode = (uint64_t)ky << 32 | (uint32_t)ckx;
  double g[2];
  dashi_gauss2(seed, DASHI_RNG_FORCING, mode, (uint32_t)step, g);
  /* complex Gaussian with <|xi|^2> = 1 */
  out[0] = g[0] * M_SQRT1_2;
  out[1] = (ky == 0 && kx < 0 ? -1.0 : 1.0) * g[1] * M_SQRT1_2;
}

#include "dashi/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  *lo = (uint32_t)p;
}

dashi_philox_ctr dashi_philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                              uint32_t k1) {
  for (int r = 0; r < 10; r++) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(PHILOX_M0, c0, &hi0, &lo0);
    mulhilo(PHILOX_M1, c2, &hi1, &lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += PHILOX_W0, k1 += PHILOX_W1;
  }
  return (dashi_philox_ctr){{c0, c1, c2, c3}};
}

/* uniform in (0, 1]: never 0, so log() is finite */
static inline double u01(uint32_t hi, uint32_t lo) {
  uint64_t x = ((uint64_t)hi << 32 | lo) >> 11; /* 53 bits */
  return ((double)x + 1.0) * 0x1.0p-53;
}

void dashi_gauss2(uint64_t seed, uint32_t purpose, uint64_t a, uint32_t b, double out[2]) {
  dashi_philox_ctr r = dashi_philox((uint32_t)a, (uint32_t)(a >> 32), b, purpose, (uint32_t)seed,
                                    (uint32_t)(seed >> 32));
  double u1 = u01(r.v[0], r.v[1]), u2 = u01(r.v[2], r.v[3]);
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  out[0] = rad * cos(th);
  out[1] = rad * sin(th);
}

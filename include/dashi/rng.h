/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the value depends only on the
 * key and the counter, never on the order of calls, so fields generated from (seed, step, global
 * mode index) are identical for every rank count and every backend. */
#ifndef DASHI_RNG_H
#define DASHI_RNG_H
#include <stdint.h>

typedef struct {
  uint32_t v[4];
} dashi_philox_ctr;

/* Four 32-bit words for counter (c0..c3) under key (k0, k1). */
dashi_philox_ctr dashi_philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                              uint32_t k1);

/* Two independent standard normals for the 64-bit stream id `a`, sub-counter `b` under `seed`
 * (Box–Muller on the four Philox words). `purpose` separates unrelated streams. */
void dashi_gauss2(uint64_t seed, uint32_t purpose, uint64_t a, uint32_t b, double out[2]);

enum { DASHI_RNG_IC = 1, DASHI_RNG_FORCING = 2, DASHI_RNG_ENSEMBLE = 3 };

#endif

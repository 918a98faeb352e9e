// Shared definitions of the dashi compute shaders (Vulkan backend, src/backend/vulkan).
// Every buffer is reached through a buffer device address passed in push constants, so no
// descriptor set is ever allocated. DASHI_F64 selects the field precision (REAL); DASHI_ACC64 the
// accumulator of reductions (ACC).
//
// Spectral layouts (include/dashi/grid.h): a spectral field stores `nrows` ky rows (ky = ky0 + a)
// and all N kx columns (column b holds kx = b for b <= N/2, b - N otherwise).
//   kyfast = 0: element (a, b) at a*N + b       (distributed layout, several ranks)
//   kyfast = 1: element (a, b) at b*nrows + a   (VkFFT's native 2D R2C layout on one rank,
//                                                nrows = N/2 + 1, the ky = N/2 row is kept at zero)
#include "types.glsl"

#define WG 256u
layout(local_size_x = 256) in;

// The grid layout of this rank, fixed for the life of the backend: specialization constants set
// when the pipelines are created (constant division, no push-constant space).
layout(constant_id = 0) const uint N = 4;
layout(constant_id = 1) const uint NROWS = 3;   // ky rows stored
layout(constant_id = 2) const uint NKY = 2;     // ky rows owned (ky0 .. ky0+NKY-1 < N/2)
layout(constant_id = 3) const uint KY0 = 0;
layout(constant_id = 4) const uint KYFAST = 1;  // native 2D layout (one rank)
layout(constant_id = 5) const uint COUNT = 12;  // complex elements of a spectral field
layout(constant_id = 6) const uint RCOUNT = 16; // reals of a real field (nx N)

// grid-stride loops: any element count with at most 65535 workgroups
uint first_index() { return gl_WorkGroupID.x * WG + gl_LocalInvocationID.x; }
uint index_stride() { return gl_NumWorkGroups.x * WG; }

struct Mode {
  int kx, ky;
};

Mode mode_at(uint m) {
  uint a, b;
  if (KYFAST != 0u) {
    b = m / NROWS;
    a = m - b * NROWS;
  } else {
    a = m / N;
    b = m - a * N;
  }
  Mode k;
  k.kx = b <= N / 2u ? int(b) : int(b) - int(N);
  k.ky = int(KY0 + a);
  return k;
}

uint index_of(int kx, int ky) {
  uint b = kx >= 0 ? uint(kx) : uint(kx + int(N));
  uint a = uint(ky) - KY0;
  return KYFAST != 0u ? b * NROWS + a : a * N + b;
}

bool is_nyquist(Mode k) {
  int h = int(N / 2u);
  return k.kx == h || k.kx == -h || k.ky == h;
}

// Dealiasing multiplier (SPEC §2): kind 0 none, 1 two-thirds, 2 exp (host-computed table, so
// that the value is the one of dashi_dealias_factor bit for bit). 0 on Nyquist modes.
REAL dealias_factor(Mode k, uint kind, RBuf table, uint m) {
  if (is_nyquist(k)) return REAL(0);
  if (kind == 0u) return REAL(1);
  if (kind == 1u) return (3 * abs(k.kx) > int(N) || 3 * abs(k.ky) > int(N)) ? REAL(0) : REAL(1);
  return table.v[m];
}

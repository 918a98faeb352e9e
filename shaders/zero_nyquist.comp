#version 460
// Zero the Nyquist modes of nf spectral fields spaced `slot` complex elements apart: the kx = N/2
// column (nrows entries) and, in the native layout (kyfast), the ky = N/2 row (N entries).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf base;
  uint nf, slot;
} pc;

void main() {
  uint per = NROWS + (KYFAST != 0u ? N : 0u);
  uint total = pc.nf * per;
  for (uint t = first_index(); t < total; t += index_stride()) {
    uint f = t / per, r = t - f * per, a, b;
    if (r < NROWS) {
      a = r;
      b = N / 2u;
    } else {
      a = N / 2u;
      b = r - NROWS;
    }
    uint m = KYFAST != 0u ? b * NROWS + a : a * N + b;
    pc.base.v[f * pc.slot + m] = CPLX(0);
  }
}

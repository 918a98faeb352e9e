#version 460
// Inverse transpose, unpack: received [src][f][a][i] into x rows [f][i][ky] (row stride H1),
// ky = src*nky + a; this dispatch reads `total` values from src[0], the layout's values t0..
// (vk_fft.c unpack), and with fill = nf*nx sets the ky = N/2 entry of every row (Nyquist) to zero.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, H1, total, t0, fill;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total + pc.fill; t += index_stride()) {
    if (t >= pc.total) {
      uint q = t - pc.total; // q = f*nx + i
      pc.dst.v[q * pc.H1 + pc.H1 - 1u] = CPLX(0);
      continue;
    }
    uint u = t + pc.t0; // the value's place in the whole receive layout
    uint i = u % pc.nx, r = u / pc.nx;
    uint a = r % pc.nky;
    r /= pc.nky;
    uint f = r % pc.nf, s = r / pc.nf;
    pc.dst.v[(f * pc.nx + i) * pc.H1 + s * pc.nky + a] = pc.src.v[t];
  }
}

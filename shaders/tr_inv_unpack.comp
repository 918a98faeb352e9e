#version 460
// Inverse transpose, unpack: received [src][f][a][i] into x rows [f][i][ky] (row stride H1),
// ky = src*nky + a; the ky = N/2 entry of every row (Nyquist) is set to zero.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, H1, total;
} pc;

void main() {
  uint nyq = pc.nf * pc.nx;
  for (uint t = first_index(); t < pc.total + nyq; t += index_stride()) {
    if (t >= pc.total) {
      uint q = t - pc.total; // q = f*nx + i
      pc.dst.v[q * pc.H1 + pc.H1 - 1u] = CPLX(0);
      continue;
    }
    uint i = t % pc.nx, r = t / pc.nx;
    uint a = r % pc.nky;
    r /= pc.nky;
    uint f = r % pc.nf, s = r / pc.nf;
    pc.dst.v[(f * pc.nx + i) * pc.H1 + s * pc.nky + a] = pc.src.v[t];
  }
}

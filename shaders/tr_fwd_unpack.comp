#version 460
// Forward transpose, unpack: received [src][f][i][a] into ky-major rows [f][a][x], x = src*nx + i;
// this dispatch reads `total` values from src[0], the layout's values t0.. (vk_fft.c unpack).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, N, total, t0;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total; t += index_stride()) {
    uint u = t + pc.t0; // the value's place in the whole receive layout
    uint a = u % pc.nky, r = u / pc.nky;
    uint i = r % pc.nx;
    r /= pc.nx;
    uint f = r % pc.nf, s = r / pc.nf;
    pc.dst.v[(f * pc.nky + a) * pc.N + s * pc.nx + i] = pc.src.v[t];
  }
}

#version 460
// Forward transpose, unpack: received [src][f][i][a] into ky-major rows [f][a][x], x = src*nx + i.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, N, total;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total; t += index_stride()) {
    uint a = t % pc.nky, r = t / pc.nky;
    uint i = r % pc.nx;
    r /= pc.nx;
    uint f = r % pc.nf, s = r / pc.nf;
    pc.dst.v[(f * pc.nky + a) * pc.N + s * pc.nx + i] = pc.src.v[t];
  }
}

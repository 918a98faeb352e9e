#version 460
// Inverse transpose, pack: ky-major rows [f][a][x] into the send buffer [dest][f][a][i],
// x = dest*nx + i.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, N, total;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total; t += index_stride()) {
    uint i = t % pc.nx, r = t / pc.nx;
    uint a = r % pc.nky;
    r /= pc.nky;
    uint f = r % pc.nf, d = r / pc.nf;
    pc.dst.v[t] = pc.src.v[(f * pc.nky + a) * pc.N + d * pc.nx + i];
  }
}

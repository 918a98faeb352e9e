#version 460
// Inverse transpose, pack: ky-major rows [f][a][x] into the send buffer [dest][f][a][i],
// x = dest*nx + i.
// t0: the first value of the whole send layout this dispatch writes, at dst[0] (vk_fft.c: 0 for
// the MPI_Alltoall send buffer; one dispatch per receiver into node shared memory).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, N, total, t0;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total; t += index_stride()) {
    uint u = t + pc.t0;
    uint i = u % pc.nx, r = u / pc.nx;
    uint a = r % pc.nky;
    r /= pc.nky;
    uint f = r % pc.nf, d = r / pc.nf;
    pc.dst.v[t] = pc.src.v[(f * pc.nky + a) * pc.N + d * pc.nx + i];
  }
}

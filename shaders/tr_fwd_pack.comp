#version 460
// Forward transpose, pack: rows [f][i][ky] (row stride H1 = N/2+1, after the 1D R2C along y) into
// the host-visible send buffer [dest][f][i][a], ky = dest*nky + a.
// t0: the first value of the whole send layout this dispatch writes, at dst[0] (vk_fft.c: 0 for
// the MPI_Alltoall send buffer; one dispatch per receiver into node shared memory).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, dst;
  uint nf, nx, nky, H1, total, t0;
} pc;

void main() {
  for (uint t = first_index(); t < pc.total; t += index_stride()) {
    uint u = t + pc.t0;
    uint a = u % pc.nky, r = u / pc.nky;
    uint i = r % pc.nx;
    r /= pc.nx;
    uint f = r % pc.nf, d = r / pc.nf;
    pc.dst.v[t] = pc.src.v[(f * pc.nx + i) * pc.H1 + d * pc.nky + a];
  }
}

#version 460
// Ring forcing kick: w[idx[t]] += val[t] for the shell modes of this rank. The values
// amp * xi(seed, step, mode) come from the host (dashi_ring_mode, Philox4x32-10 + Box-Muller), so
// the noise is bit for bit that of the CPU backend (GLSL has no double-precision log/sin/cos).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf w;
  CBuf val;
  UBuf idx;
  uint count;
} pc;

void main() {
  for (uint t = first_index(); t < pc.count; t += index_stride()) {
    uint m = pc.idx.v[t];
    CPLX z = pc.w.v[m], d = pc.val.v[t];
    pc.w.v[m] = CPLX(z.x + d.x, z.y + d.y);
  }
}

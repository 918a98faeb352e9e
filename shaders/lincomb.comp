#version 460
// dst = [dst +] sum_i c_i src_i over `count` reals (up to 6 terms per dispatch; dst may be a src).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  RBuf dst, s0, s1, s2, s3, s4, s5;
  REAL c0, c1, c2, c3, c4, c5;
  uint n, accum;
} pc;

void main() {
  for (uint m = first_index(); m < 2u * COUNT; m += index_stride()) {
    REAL acc = pc.c0 * pc.s0.v[m];
    if (pc.accum != 0u) acc = pc.dst.v[m] + acc;
    if (pc.n > 1u) acc += pc.c1 * pc.s1.v[m];
    if (pc.n > 2u) acc += pc.c2 * pc.s2.v[m];
    if (pc.n > 3u) acc += pc.c3 * pc.s3.v[m];
    if (pc.n > 4u) acc += pc.c4 * pc.s4.v[m];
    if (pc.n > 5u) acc += pc.c5 * pc.s5.v[m];
    pc.dst.v[m] = acc;
  }
}

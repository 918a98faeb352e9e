#version 460
// Final pass of every reduction: out[c] = sum (op 0) or max (op 1) over ANY number of partials
// part[i * ncomp + c], i = 0..nparts-1, in one workgroup (fixed order: deterministic).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  ABuf part, dst;
  uint ncomp, nparts, op;
} pc;

shared ACC red[WG];

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint c = 0u; c < pc.ncomp; c++) {
    ACC s = ACC(0);
    for (uint i = t; i < pc.nparts; i += WG) {
      ACC x = pc.part.v[i * pc.ncomp + c];
      s = pc.op == 0u ? s + x : max(s, x);
    }
    red[t] = s;
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
      if (t < h) red[t] = pc.op == 0u ? red[t] + red[t + h] : max(red[t], red[t + h]);
      barrier();
    }
    if (t == 0u) pc.dst.v[c] = red[0];
    barrier();
  }
}

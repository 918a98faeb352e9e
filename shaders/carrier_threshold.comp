#version 460
// GPU decode, SPEC §6 step 2, batched over members (member = workgroup y): s = sign(w) where
// |w| > tau max|w| (and max > 0), else 0, with exactly the double arithmetic of
// dashi_carrier_threshold (thr = tau * mx, abs(w) > thr), so the support and the sign are the
// CPU's bit for bit for the same w. The supported count goes to cnt[j CS + C_SUPPORT].
#extension GL_EXT_buffer_reference_uvec2 : require
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 8) buffer AddrBuf { uvec2 v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer IBuf { int v[]; };

layout(push_constant, std430) uniform PC {
  AddrBuf real;
  RBuf mx;
  IBuf s;  // [m][n n]
  UBuf cnt;
  double tau;
  uint cs, cidx;
} pc;

shared uint red[WG];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y;
  RBuf w = RBuf(pc.real.v[j]);
  double mx = pc.mx.v[j];
  precise double thr = pc.tau * mx;
  uint c = 0u;
  for (uint k = gl_WorkGroupID.x * WG + t; k < RCOUNT; k += gl_NumWorkGroups.x * WG) {
    double x = w.v[k];
    int v = 0;
    if (mx > 0.0 && abs(x) > thr) v = x > 0.0 ? 1 : -1;
    pc.s.v[j * RCOUNT + k] = v;
    c += v != 0 ? 1u : 0u;
  }
  red[t] = c;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h) red[t] += red[t + h];
    barrier();
  }
  if (t == 0u && red[0] != 0u) atomicAdd(pc.cnt.v[j * pc.cs + pc.cidx], red[0]);
}

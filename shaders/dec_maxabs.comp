#version 460
// GPU decode: max |omega_lp| of every member (the carrier threshold's reference) without a host
// read-back. op 0: workgroup (g, j) writes the partial max of its part of member j's field to
// part[j G + g] and flags a NaN or an infinity in cnt[j CS + C_BAD] (reported as an error by the
// host, never hidden); op 1: one workgroup per member folds the G <= 256 partials into mx[j]. The
// max of finite doubles is exact in any order, so mx equals the CPU's fmax loop bit for bit.
#extension GL_EXT_buffer_reference_uvec2 : require
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 8) buffer AddrBuf { uvec2 v[]; };

layout(push_constant, std430) uniform PC {
  AddrBuf real;  // omega_lp of member j
  RBuf part;     // [m][G]
  RBuf mx;       // [m]
  UBuf cnt;      // [m][CS] counters
  uint G, op, cs, cbad;
} pc;

shared double rm[WG];
shared uint rb[WG];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y;
  if (pc.op == 0u) {
    RBuf w = RBuf(pc.real.v[j]);
    double mx = 0.0;
    uint bad = 0u;
    for (uint k = gl_WorkGroupID.x * WG + t; k < RCOUNT; k += pc.G * WG) {
      double x = w.v[k];
      if (isnan(x) || isinf(x)) bad = 1u;
      else mx = max(mx, abs(x));
    }
    rm[t] = mx;
    rb[t] = bad;
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
      if (t < h) {
        rm[t] = max(rm[t], rm[t + h]);
        rb[t] = max(rb[t], rb[t + h]);
      }
      barrier();
    }
    if (t == 0u) {
      pc.part.v[j * pc.G + gl_WorkGroupID.x] = rm[0];
      if (rb[0] != 0u) atomicOr(pc.cnt.v[j * pc.cs + pc.cbad], 1u);
    }
  } else {
    rm[t] = t < pc.G ? pc.part.v[j * pc.G + t] : 0.0;
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
      if (t < h) rm[t] = max(rm[t], rm[t + h]);
      barrier();
    }
    if (t == 0u) pc.mx.v[j] = rm[0];
  }
}

#version 460
// Pointwise nonlinear products (backend.h nonlinear_pointwise): adv = -(u wx + v wy);
// with SGS: nu_t = smag2 sqrt(s11^2 + s12^2), div form q1 = nu_t wx, q2 = nu_t wy, lap form
// q1 = nu_t lap w. With want != 0 each workgroup writes its partial sum of nu_t.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  RBuf u, v, wx, wy, s11, s12, lapw, adv, q1, q2;
  ABuf part;
  REAL smag2;
  uint sgs, lap, want;
} pc;

shared ACC red[WG];

void main() {
  ACC sum = ACC(0);
  for (uint m = first_index(); m < RCOUNT; m += index_stride()) {
    pc.adv.v[m] = -(pc.u.v[m] * pc.wx.v[m] + pc.v.v[m] * pc.wy.v[m]);
    if (pc.sgs != 0u) {
      REAL a = pc.s11.v[m], b = pc.s12.v[m];
      REAL nut = pc.smag2 * sqrt(a * a + b * b);
      if (pc.lap != 0u) {
        pc.q1.v[m] = nut * pc.lapw.v[m];
      } else {
        pc.q1.v[m] = nut * pc.wx.v[m];
        pc.q2.v[m] = nut * pc.wy.v[m];
      }
      sum += ACC(nut);
    }
  }
  if (pc.want == 0u) return;
  uint t = gl_LocalInvocationID.x;
  red[t] = sum;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1) {
    if (t < s) red[t] += red[t + s];
    barrier();
  }
  if (t == 0u) pc.part.v[gl_WorkGroupID.x] = red[0];
}

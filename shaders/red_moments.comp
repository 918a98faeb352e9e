#version 460
// Partial sums of the three moments of w: sum e/|k|^2, sum e, sum e |k|^2 with
// e = weight(ky) |w|^2; three values per workgroup (part[3 g + c]).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf w;
  ABuf part;
} pc;

shared ACC r0[WG], r1[WG], r2[WG];

void main() {
  ACC s0 = ACC(0), s1 = ACC(0), s2 = ACC(0);
  for (uint m = first_index(); m < COUNT; m += index_stride()) {
    Mode k = mode_at(m);
    CPLX a = pc.w.v[m];
    ACC kx = ACC(k.kx), ky = ACC(k.ky);
    ACC k2 = kx * kx + ky * ky;
    ACC e = (k.ky == 0 ? ACC(1) : ACC(2)) * (ACC(a.x) * ACC(a.x) + ACC(a.y) * ACC(a.y));
    if (k2 > ACC(0)) s0 += e / k2;
    s1 += e;
    s2 += e * k2;
  }
  uint t = gl_LocalInvocationID.x;
  r0[t] = s0;
  r1[t] = s1;
  r2[t] = s2;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h) {
      r0[t] += r0[t + h];
      r1[t] += r1[t + h];
      r2[t] += r2[t + h];
    }
    barrier();
  }
  if (t == 0u) {
    uint g = gl_WorkGroupID.x;
    pc.part.v[3u * g] = r0[0];
    pc.part.v[3u * g + 1u] = r1[0];
    pc.part.v[3u * g + 2u] = r2[0];
  }
}

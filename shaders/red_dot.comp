#version 460
// Partial sums of w(ky) Re(x conj y) (w = 1 on ky = 0, 2 otherwise): one value per workgroup.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf x, y;
  ABuf part;
} pc;

shared ACC red[WG];

void main() {
  ACC s = ACC(0);
  for (uint m = first_index(); m < COUNT; m += index_stride()) {
    Mode k = mode_at(m);
    CPLX a = pc.x.v[m], b = pc.y.v[m];
    ACC w = k.ky == 0 ? ACC(1) : ACC(2);
    s += w * (ACC(a.x) * ACC(b.x) + ACC(a.y) * ACC(b.y));
  }
  uint t = gl_LocalInvocationID.x;
  red[t] = s;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h) red[t] += red[t + h];
    barrier();
  }
  if (t == 0u) pc.part.v[gl_WorkGroupID.x] = red[0];
}

#version 460
// Partial max |f| over the finite values and a flag for non-finite ones: part[2 g] = max,
// part[2 g + 1] = 1 if this workgroup saw a NaN or an infinity (reported, never hidden).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  RBuf f;
  ABuf part;
} pc;

shared ACC rm[WG], rb[WG];

void main() {
  ACC mx = ACC(0), bad = ACC(0);
  for (uint m = first_index(); m < RCOUNT; m += index_stride()) {
    REAL x = pc.f.v[m];
    if (isnan(x) || isinf(x)) bad = ACC(1);
    else mx = max(mx, ACC(abs(x)));
  }
  uint t = gl_LocalInvocationID.x;
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
    pc.part.v[2u * gl_WorkGroupID.x] = rm[0];
    pc.part.v[2u * gl_WorkGroupID.x + 1u] = rb[0];
  }
}

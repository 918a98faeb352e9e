#version 460
// f *= D(k) (SPEC §2 dealiasing filter; Nyquist modes zeroed)
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf f;
  RBuf dtab;
  uint dkind;
} pc;

void main() {
  for (uint m = first_index(); m < COUNT; m += index_stride()) {
    Mode k = mode_at(m);
    REAL D = dealias_factor(k, pc.dkind, pc.dtab, m);
    CPLX z = pc.f.v[m];
    pc.f.v[m] = CPLX(D * z.x, D * z.y);
  }
}

#version 460
// dst[o] = op_o(k) * src (backend.h dashi_spec_op), Nyquist modes zeroed. For the fused nonlinear
// products (vk_rows.c): only the ky < cols columns, and conjugated (conj = 1).
#include "common.glsl"
#include "spec_ops.glsl"

layout(push_constant, std430) uniform PC {
  CBuf src, d0, d1, d2, d3, d4, d5, d6;
  uint ops; // 4 bits per output
  uint n;
  uint band; // > 0: modes with |kx| or |ky| > band are not written (backend.h fft_band_in)
  uint cols; // > 0: modes with ky >= cols are not written
  uint conj; // 1: write the complex conjugate
} pc;

void store(uint o, uint m, CPLX z) {
  switch (o) {
  case 0u: pc.d0.v[m] = z; break;
  case 1u: pc.d1.v[m] = z; break;
  case 2u: pc.d2.v[m] = z; break;
  case 3u: pc.d3.v[m] = z; break;
  case 4u: pc.d4.v[m] = z; break;
  case 5u: pc.d5.v[m] = z; break;
  default: pc.d6.v[m] = z; break;
  }
}

void main() {
  for (uint m = first_index(); m < COUNT; m += index_stride()) {
    Mode k = mode_at(m);
    if (pc.band > 0u && (uint(abs(k.kx)) > pc.band || uint(k.ky) > pc.band)) continue;
    if (pc.cols > 0u && uint(k.ky) >= pc.cols) continue;
    bool nyq = is_nyquist(k);
    CPLX z = pc.src.v[m];
    REAL kx = REAL(k.kx), ky = REAL(k.ky), ik2 = inv_k2(kx, ky);
    for (uint o = 0u; o < pc.n; o++) {
      CPLX d = nyq ? CPLX(0) : spec_op(pc.ops >> (4u * o), kx, ky, ik2, z);
      if (pc.conj != 0u) d.y = -d.y;
      store(o, m, d);
    }
  }
}

#version 460
// dst[o] = op_o(k) * src (backend.h dashi_spec_op), Nyquist modes zeroed. For the fused nonlinear
// products (vk_rows.c): only the ky < cols columns, and conjugated (conj = 1).
#include "common.glsl"

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
    REAL kx = REAL(k.kx), ky = REAL(k.ky);
    REAL k2 = kx * kx + ky * ky;
    REAL ik2 = k2 > REAL(0) ? REAL(1) / k2 : REAL(0);
    for (uint o = 0u; o < pc.n; o++) {
      uint op = (pc.ops >> (4u * o)) & 15u;
      REAL fr = REAL(0), fi = REAL(0);
      switch (op) {
      case 0u: fr = REAL(1); break;                          // copy
      case 1u: fi = kx; break;                               // i kx
      case 2u: fi = ky; break;                               // i ky
      case 3u: fi = ky * ik2; break;                         // u:  i ky/|k|^2
      case 4u: fi = -kx * ik2; break;                        // v: -i kx/|k|^2
      case 5u: fr = -kx * ky * ik2; break;                   // S11 = du/dx
      case 6u: fr = REAL(0.5) * (kx * kx - ky * ky) * ik2; break; // S12
      case 7u: fr = -k2; break;                              // laplacian
      case 9u: fr = REAL(0.5) * kx * kx * ik2; break;        // kx^2 psi/2 (vk_rows.c only)
      case 10u: fr = -kx * kx; break;                        // -kx^2 (vk_rows.c only)
      default: fr = ik2; break;                              // psi
      }
      CPLX d = nyq ? CPLX(0) : CPLX(fr * z.x - fi * z.y, fr * z.y + fi * z.x);
      if (pc.conj != 0u) d.y = -d.y;
      store(o, m, d);
    }
  }
}

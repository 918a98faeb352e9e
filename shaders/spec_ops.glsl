// The spectral multipliers of backend.h dashi_spec_op (4-bit codes) applied to one mode z at
// (kx, ky), ik2 = inv_k2(kx, ky) (computed once per mode by callers that apply several ops):
// shared by spec_derive.comp and xfft.comp. Needs types.glsl.
REAL inv_k2(REAL kx, REAL ky) {
  REAL k2 = kx * kx + ky * ky;
  return k2 > REAL(0) ? REAL(1) / k2 : REAL(0);
}

CPLX spec_op(uint code, REAL kx, REAL ky, REAL ik2, CPLX z) {
  REAL k2 = kx * kx + ky * ky;
  REAL fr = REAL(0), fi = REAL(0);
  switch (code & 15u) {
  case 0u: fr = REAL(1); break;                               // copy
  case 1u: fi = kx; break;                                    // i kx
  case 2u: fi = ky; break;                                    // i ky
  case 3u: fi = ky * ik2; break;                              // u:  i ky/|k|^2
  case 4u: fi = -kx * ik2; break;                             // v: -i kx/|k|^2
  case 5u: fr = -kx * ky * ik2; break;                        // S11 = du/dx
  case 6u: fr = REAL(0.5) * (kx * kx - ky * ky) * ik2; break; // S12
  case 7u: fr = -k2; break;                                   // laplacian
  case 9u: fr = REAL(0.5) * kx * kx * ik2; break;             // kx^2 psi/2 (vk_rows.c only)
  case 10u: fr = -kx * kx; break;                             // -kx^2 (vk_rows.c only)
  default: fr = ik2; break;                                   // psi
  }
  return CPLX(fr * z.x - fi * z.y, fr * z.y + fi * z.x);
}

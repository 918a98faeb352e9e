// The derivative fields of the fused products' row pass from their sources (rows_pair.comp,
// rows_a.comp; src/backend/vulkan/vk_rows.c): the includer's push constants hold the conjugated
// x transforms of the sources in i0..i5 (psi = w/|k|^2, v = -i kx psi, kx^2 psi/2, w, wx = i kx w,
// -kx^2 w), the band kin and the flags (8: wy from psi), and N is the row length.
// the stored spectrum of one source at ky = m <= N/2: zero above kin and at N/2, DC real
CPLX source(CBuf src, uint base, uint m) {
  CPLX z = m <= pc.kin && m < N / 2u ? conjc(src.v[base + m]) : CPLX(0);
  if (m == 0u) z.y = REAL(0);
  return z;
}

const uint U = 0u, V = 1u, WX = 2u, WY = 3u, S11 = 4u, S12 = 5u, LAP = 6u;
// field f at ky = m from the sources: u = i ky psi, v, wx, wy = i ky w (flag 8: i ky (2 kx^2 psi/2
// + ky^2 psi)), S11 = du/dx = -i ky v, S12 = (kx^2 - ky^2) psi/2, lap w = -kx^2 w - ky^2 w
CPLX field(uint f, uint base, uint m) {
  REAL ky = REAL(m);
  switch (f) {
  case U: return ky * times_i(source(pc.i0, base, m));
  case V: return source(pc.i1, base, m);
  case WX: return source(pc.i4, base, m);
  case WY:
    if ((pc.flags & 8u) != 0u)
      return ky * times_i(REAL(2) * source(pc.i2, base, m) + ky * ky * source(pc.i0, base, m));
    return ky * times_i(source(pc.i3, base, m));
  case S11: return -ky * times_i(source(pc.i1, base, m));
  case S12: return source(pc.i2, base, m) - REAL(0.5) * ky * ky * source(pc.i0, base, m);
  default: return source(pc.i5, base, m) - ky * ky * source(pc.i3, base, m);
  }
}

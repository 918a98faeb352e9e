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
// + ky^2 psi)), S11 = du/dx = -i ky v, S12 = (kx^2 - ky^2) psi/2, lap w = -kx^2 w - ky^2 w;
// p0, p1, p2 are source(i0), source(i1), source(i2), the three that several fields share
// (rows_a.comp loads them once for all its groups), the others are read here
CPLX field_pre(uint f, uint base, uint m, CPLX p0, CPLX p1, CPLX p2) {
  REAL ky = REAL(m);
  switch (f) {
  case U: return ky * times_i(p0);
  case V: return p1;
  case WX: return source(pc.i4, base, m);
  case WY:
    if ((pc.flags & 8u) != 0u) return ky * times_i(REAL(2) * p2 + ky * ky * p0);
    return ky * times_i(source(pc.i3, base, m));
  case S11: return -ky * times_i(p1);
  case S12: return p2 - REAL(0.5) * ky * ky * p0;
  default: return source(pc.i5, base, m) - ky * ky * source(pc.i3, base, m);
  }
}

// field f at ky = m, reading the sources it needs (rows_pair.comp; a wrapper of field_pre with
// the same loads measured 0.4% slower there: fp32 N = 4096 on an H200, 2.159 against 2.150 ms/step)
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

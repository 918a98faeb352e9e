// The spectral tendency of one mode (backend.h spec_tendency) and the RK combination that may
// follow it (spec_lincomb): shared by spec_tendency.comp (every mode) and xfft_tend.comp (the
// modes of the products' last x step). Needs types.glsl and modes.glsl.
// flags: 1 adv, 2 sgs, 4 linear, 8 force, 16 sgs in lap form, 1024 div form with i ky q2 in adv
// (backend.h q2_in_adv: q2 is not read); 32 also the spec_lincomb that follows it,
// dst = c0 t0 + c1 t1 + c2 t2 with nterms = bits 6-7, the term that is rhs itself = bits 8-9, the
// other terms e0, e1 in order (one pass instead of two: the RK combination reads rhs from
// registers); the dealiasing kind (modes.glsl) in bits 12-13.

uint tend_dkind(uint flags) { return (flags >> 12) & 3u; }

// the nonlinear terms at (kx, ky) from the products' spectra: adv + sgs(q1, q2)
CPLX tend_nonlinear(uint flags, REAL kx, REAL ky, CPLX a, CPLX q1, CPLX q2) {
  REAL nr = REAL(0), ni = REAL(0);
  if ((flags & 1u) != 0u) {
    nr += a.x;
    ni += a.y;
  }
  if ((flags & 2u) != 0u) {
    if ((flags & 16u) != 0u) {
      nr += q1.x;
      ni += q1.y;
    } else if ((flags & 1024u) != 0u) { // i kx q1 (i ky q2 is in adv)
      nr += -kx * q1.y;
      ni += kx * q1.x;
    } else { // i kx q1 + i ky q2
      nr += -kx * q1.y - ky * q2.y;
      ni += kx * q1.x + ky * q2.x;
    }
  }
  return CPLX(nr, ni);
}

// rhs = D nl - (nu0 |k|^2 + drag) w + force, zero on Nyquist modes
CPLX tend_rhs(uint flags, Mode k, REAL D, CPLX nl, CPLX W, CPLX f, REAL nu0, REAL drag) {
  REAL lin = (flags & 4u) != 0u ? nu0 * REAL(k.kx * k.kx + k.ky * k.ky) + drag : REAL(0);
  REAL rr = D * nl.x - lin * W.x, ri = D * nl.y - lin * W.y;
  if ((flags & 8u) != 0u) {
    rr += f.x;
    ri += f.y;
  }
  if (is_nyquist(k)) rr = ri = REAL(0);
  return CPLX(rr, ri);
}

// flag 32: the lincomb at element m of the tendency r there and the other terms e0, e1
CPLX tend_combine(uint flags, uint m, CPLX r, CBuf e0, CBuf e1, REAL c0, REAL c1, REAL c2) {
  uint nt = (flags >> 6) & 3u, ir = (flags >> 8) & 3u, e = 0u;
  CPLX t[3];
  for (uint i = 0u; i < nt; i++) {
    if (i == ir) {
      t[i] = r;
    } else {
      t[i] = e == 0u ? e0.v[m] : e1.v[m];
      e++;
    }
  }
  CPLX acc = CPLX(c0 * t[0].x, c0 * t[0].y);
  if (nt > 1u) acc = CPLX(acc.x + c1 * t[1].x, acc.y + c1 * t[1].y);
  if (nt > 2u) acc = CPLX(acc.x + c2 * t[2].x, acc.y + c2 * t[2].y);
  return acc;
}

#version 460
// rhs = D(k) [adv + sgs(q1, q2)] - (nu0 |k|^2 + drag) w + force (backend.h spec_tendency);
// flags: 1 adv, 2 sgs, 4 linear, 8 force, 16 sgs in lap form, 1024 div form with i ky q2 in adv
// (backend.h q2_in_adv: q2 is not read);
// 32: also the spec_lincomb that follows it, dst = c0 t0 + c1 t1 + c2 t2, with nterms = flags
//     bits 6-7, the term that is rhs itself = bits 8-9, the other terms e0, e1 in order (one pass
//     instead of two: the RK combination reads rhs from registers).
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf w, adv, q1, q2, force, rhs;
  RBuf dtab;
  REAL nu0, drag;
  uint flags, dkind;
  CBuf dst, e0, e1;
  REAL c0, c1, c2;
} pc;

void combine(uint m, CPLX r) {
  uint nt = (pc.flags >> 6) & 3u, ir = (pc.flags >> 8) & 3u, e = 0u;
  CPLX t[3];
  for (uint i = 0u; i < nt; i++) {
    if (i == ir) {
      t[i] = r;
    } else {
      t[i] = e == 0u ? pc.e0.v[m] : pc.e1.v[m];
      e++;
    }
  }
  CPLX acc = CPLX(pc.c0 * t[0].x, pc.c0 * t[0].y);
  if (nt > 1u) acc = CPLX(acc.x + pc.c1 * t[1].x, acc.y + pc.c1 * t[1].y);
  if (nt > 2u) acc = CPLX(acc.x + pc.c2 * t[2].x, acc.y + pc.c2 * t[2].y);
  pc.dst.v[m] = acc;
}

void main() {
  for (uint m = first_index(); m < COUNT; m += index_stride()) {
    Mode k = mode_at(m);
    REAL D = dealias_factor(k, pc.dkind, pc.dtab, m);
    REAL kx = REAL(k.kx), ky = REAL(k.ky);
    REAL nr = REAL(0), ni = REAL(0);
    // where D = 0 the nonlinear terms are not read: a band-limited forward transform
    // (backend.h fft_band_out) leaves those modes of adv, q1, q2 as they were
    bool nl = D != REAL(0);
    if (nl && (pc.flags & 1u) != 0u) {
      CPLX a = pc.adv.v[m];
      nr += a.x;
      ni += a.y;
    }
    if (nl && (pc.flags & 2u) != 0u) {
      CPLX a = pc.q1.v[m];
      if ((pc.flags & 16u) != 0u) {
        nr += a.x;
        ni += a.y;
      } else if ((pc.flags & 1024u) != 0u) { // i kx q1 (i ky q2 is in adv)
        nr += -kx * a.y;
        ni += kx * a.x;
      } else { // i kx q1 + i ky q2
        CPLX b = pc.q2.v[m];
        nr += -kx * a.y - ky * b.y;
        ni += kx * a.x + ky * b.x;
      }
    }
    REAL lin = (pc.flags & 4u) != 0u ? pc.nu0 * REAL(k.kx * k.kx + k.ky * k.ky) + pc.drag : REAL(0);
    CPLX W = pc.w.v[m];
    REAL rr = D * nr - lin * W.x, ri = D * ni - lin * W.y;
    if ((pc.flags & 8u) != 0u) {
      CPLX f = pc.force.v[m];
      rr += f.x;
      ri += f.y;
    }
    if (is_nyquist(k)) rr = ri = REAL(0);
    pc.rhs.v[m] = CPLX(rr, ri);
    if ((pc.flags & 32u) != 0u) combine(m, CPLX(rr, ri));
  }
}

#version 460
// rhs = D(k) [adv + sgs(q1, q2)] - (nu0 |k|^2 + drag) w + force (backend.h spec_tendency), and
// with flag 32 the spec_lincomb that follows it (tend.glsl: the flags, the arithmetic).
// kymin > 0 (one rank's layout, after xfft_tend.comp made the modes ky < kymin): only the modes
// ky >= kymin.
#include "common.glsl"
#include "tend.glsl"

layout(push_constant, std430) uniform PC {
  CBuf w, adv, q1, q2, force, rhs;
  RBuf dtab;
  REAL nu0, drag;
  uint flags, kymin;
  CBuf dst, e0, e1;
  REAL c0, c1, c2;
} pc;

void main() {
  uint span = NROWS - pc.kymin, count = pc.kymin > 0u ? N * span : COUNT;
  uint fl = pc.flags;
  bool lap = (fl & 16u) != 0u, fold = (fl & 1024u) != 0u;
  for (uint i = first_index(); i < count; i += index_stride()) {
    uint m = pc.kymin > 0u ? (i / span) * NROWS + pc.kymin + i % span : i;
    Mode k = mode_at(m);
    REAL D = dealias_factor(k, tend_dkind(fl), pc.dtab, m);
    // where D = 0 the nonlinear terms are not read: a band-limited forward transform
    // (backend.h fft_band_out) leaves those modes of adv, q1, q2 as they were
    CPLX nl = CPLX(0);
    if (D != REAL(0)) {
      CPLX a = (fl & 1u) != 0u ? pc.adv.v[m] : CPLX(0);
      CPLX q1 = (fl & 2u) != 0u ? pc.q1.v[m] : CPLX(0);
      CPLX q2 = (fl & 2u) != 0u && !lap && !fold ? pc.q2.v[m] : CPLX(0);
      nl = tend_nonlinear(fl, REAL(k.kx), REAL(k.ky), a, q1, q2);
    }
    CPLX f = (fl & 8u) != 0u ? pc.force.v[m] : CPLX(0);
    CPLX r = tend_rhs(fl, k, D, nl, pc.w.v[m], f, pc.nu0, pc.drag);
    pc.rhs.v[m] = r;
    if ((fl & 32u) != 0u) pc.dst.v[m] = tend_combine(fl, m, r, pc.e0, pc.e1, pc.c0, pc.c1, pc.c2);
  }
}

#version 460
// The products' last x step (xfft.comp's "products 2") and the spectral tendency with the RK
// combination that follows it, in one pass (src/backend/vulkan/vk_rows.c, docs/vulkan.md "Own x
// passes"): the forward length-L transforms along x of adv + i ky q2 and q1 (the fold of
// backend.h fold_q2) over the columns ky < cols stay in registers and become rhs (and dst) of
// spec_tendency.comp at the same modes, so the products' spectra are neither written nor read
// back. spec_tendency.comp makes the modes ky >= cols (where the dealiasing leaves only the linear
// terms and the forcing). Layout of xfft.comp's products 2: the groups g of rows g + N1 p.
#include "types.glsl"
#include "fft_math.glsl"
#include "xfft.glsl"
#include "modes.glsl"
#include "tend.glsl"

layout(push_constant, std430) uniform PC {
  CBuf adv, q1; // the products after the first x step: adv + i ky q2, q1 (not written)
  CBuf tw;      // exp(-2 pi i e/N), e = 0..N-1
  CBuf w, force, rhs;
  RBuf dtab;
  CBuf dst, e0, e1;
  REAL nu0, drag, c0, c1, c2;
  uint flags; // tend.glsl's in bits 0-15 (with 1, 2 and 1024 set), cols in bits 16-31
} pc;

void main() {
  uint t = gl_LocalInvocationID.x, c = t % C, j = t / C, fl = pc.flags, cols = fl >> 16;
  uint ncg = (cols + C - 1u) / C, id = gl_WorkGroupID.x;
  uint g = id / ncg, col = (id % ncg) * C + c;
  load_twiddles(pc.tw);
  bool live = col < cols;
  uint n1 = N / L, row0 = g + j * n1, rstep = T * n1;
  CPLX a[8], b[8];
  for (uint i = 0u; i < 8u; i++) a[i] = live ? pc.adv.v[(row0 + i * rstep) * PITCH + col] : CPLX(0);
  fft(c, j, a);
  for (uint i = 0u; i < 8u; i++) b[i] = live ? pc.q1.v[(row0 + i * rstep) * PITCH + col] : CPLX(0);
  fft(c, j, b);
  if (!live) return;
  for (uint i = 0u; i < 8u; i++) {
    uint row = row0 + i * rstep, m = row * PITCH + col;
    Mode k;
    k.kx = row <= N / 2u ? int(row) : int(row) - int(N);
    k.ky = int(col);
    REAL D = dealias_factor(k, tend_dkind(fl), pc.dtab, m);
    // where D = 0 the products are not used (the row pass wrote them at ky <= kout only)
    CPLX nl = D != REAL(0) ? tend_nonlinear(fl, REAL(k.kx), REAL(k.ky), a[i], b[i], CPLX(0))
                           : CPLX(0);
    CPLX f = (fl & 8u) != 0u ? pc.force.v[m] : CPLX(0);
    CPLX r = tend_rhs(fl, k, D, nl, pc.w.v[m], f, pc.nu0, pc.drag);
    pc.rhs.v[m] = r;
    if ((fl & 32u) != 0u) pc.dst.v[m] = tend_combine(fl, m, r, pc.e0, pc.e1, pc.c0, pc.c1, pc.c2);
  }
}

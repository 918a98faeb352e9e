#version 460
// The row pass of the fused nonlinear products through memory, step C of three (rows_a.comp has
// the decomposition): with y = c + P d and k = f + Q e the forward transform of a real product p is
//   p^[f + Q e] = sum_c W_P^(c e) W_N^(c f) Z[c][f],   Z[c][f] = sum_d p[c + P d] W_Q^(d f)
// (rows_b.comp wrote Z[c][f] for f <= Q/2 at c (Q/2+1) + f; Z[c][Q - f] = conj Z[c][f]). For each
// column f: the twiddle, the length-P forward transform over c, and the outputs at ky = k <= kout
// of the mixed layout (row pitch N/2+1), as rows_pair.comp writes them: without SGS o0 = adv; the
// div form o0 = adv, o1 = q1, o2 = q2, or with the fold (flag 16) o0 = adv + i ky q2, o1 = q1 (and
// o2 = q2 with flag 64); the lap form o0 = adv, o1 = q; zero at ky = N/2 with flag 4. One workgroup
// per (row, C columns f), the column groups of a row neighbours in the dispatch (as rows_a.comp).
#include "types.glsl"
#include "fft_math.glsl"

layout(constant_id = 0) const uint L = 64; // P
layout(constant_id = 1) const uint L8 = 2; // radix-8 stages
layout(constant_id = 2) const uint R2 = 1; // then one stage of radix 1 (none), 2 or 4
layout(constant_id = 3) const uint C = 16; // columns per workgroup
layout(local_size_x_id = 4) in;            // C L/8 threads
layout(constant_id = 5) const uint N = 4096;

const uint T = L / 8u;
const uint Q = N / L;
const uint H = Q / 2u + 1u;

layout(push_constant, std430) uniform PC {
  CBuf s0, s1, s2, s3; // rows_b.comp's outputs: q1, q2, adv, q (lap form)
  CBuf o0, o1, o2;     // the products (mixed layout) from the dispatch's first row
  CBuf tw;             // exp(-2 pi i e/N), e = 0..N-1
  uint flags;          // rows_pair.comp's: 1 SGS, 2 lap form, 4 zero at N/2, 16 fold, 64 q2 too
  uint kout;           // outputs are written at ky <= kout
} pc;

shared REAL sre[C * L];
shared REAL sim[C * L];
shared CPLX twl[L];

#include "colfft.glsl"

// this thread's values of column f of the product in s (read for all products first, so that
// their loads are in flight together)
void load_column(CBuf s, uint row, uint f, uint j, out CPLX z[8]) {
  uint fr = f >= H ? Q - f : f;
  CBuf r = cbuf_offset(s, row * N);
  for (uint i = 0u; i < 8u; i++) z[i] = r.v[(j + i * T) * H + fr];
}

// the transform of column f from its loaded values (thread j: outputs e = j + i T)
void column(CPLX z[8], uint f, uint c, uint j, out CPLX v[8]) {
  bool mirror = f >= H;
  for (uint i = 0u; i < 8u; i++) v[i] = cmul(mirror ? conjc(z[i]) : z[i], pc.tw.v[(j + i * T) * f]);
  fft(c, j, v); // twl is read after the first exchange's barriers
}

void store(CBuf o, uint base, uint f, uint j, CPLX v[8]) {
  for (uint i = 0u; i < 8u; i++) {
    uint k = f + Q * (j + i * T);
    if (k <= pc.kout) o.v[base + k] = v[i];
  }
  if (f == 0u && j == 0u && (pc.flags & 4u) != 0u) o.v[base + N / 2u] = CPLX(0);
}

void main() {
  uint t = gl_LocalInvocationID.x, c = t % C, j = t / C;
  uint row = gl_WorkGroupID.y, f = gl_WorkGroupID.x * C + c;
  for (uint e = t; e < L; e += C * T) twl[e] = pc.tw.v[e * (N / L)];
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u;
  bool fold = (pc.flags & 16u) != 0u, q2too = !fold || (pc.flags & 64u) != 0u;
  uint base = row * (N / 2u + 1u);
  CPLX v[8], kq[8], za[8], zb[8], z2[8];
  if (sgs) load_column(lap ? pc.s3 : pc.s0, row, f, j, za);
  if (sgs && !lap) load_column(pc.s1, row, f, j, zb);
  load_column(pc.s2, row, f, j, z2);
  if (sgs) {
    column(za, f, c, j, v);
    store(pc.o1, base, f, j, v);
  }
  if (sgs && !lap) {
    column(zb, f, c, j, kq);
    if (q2too) store(pc.o2, base, f, j, kq);
  }
  column(z2, f, c, j, v);
  if (sgs && !lap && fold)
    for (uint i = 0u; i < 8u; i++) v[i] += REAL(f + Q * (j + i * T)) * times_i(kq[i]);
  store(pc.o0, base, f, j, v);
}

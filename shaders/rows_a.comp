#version 460
// The row pass of the fused nonlinear products through memory, step A of three (rows_b.comp,
// rows_c.comp; src/backend/vulkan/vk_rows.c, docs/vulkan.md "Row passes through memory"): for rows
// too long for rows_pair.comp's workgroup (fp32 N >= 16384, fp64 N >= 8192 on 48 KiB of shared
// memory) each row's length-N transforms along y are four-step, N = P Q. With k = Q a + b and
// y = c + P d the inverse is
//   x[c + P d] = sum_b W_Q^(-b d) W_N^(-b c) [sum_a X[Q a + b] W_P^(-a c)]:
// here, for each column b, the length-P inverse over a and the twiddle W_N^(-b c), written to the
// row's scratch at c Q + b (rows_b.comp then transforms each chunk c of Q values). Each scratch row
// holds one group of fields as a + i b (rows_pair.comp's pairs): 0 (S11, S12), 1 (wx, wy),
// 2 (u, v), 3 lap w alone (lap form); the fields are made from the sources as in rows_pair.comp
// (rows_fields.glsl). One workgroup per (row, C columns b): every access is C contiguous values.
// The column groups of a row are neighbours in the dispatch (x), the rows follow (y): the
// workgroups in flight together write adjacent pieces (C values: 64 bytes in single, 128 in
// double) of a scratch row instead of one piece in each of many rows (one H200, fp32 N = 16384:
// rows_a 7.6 instead of 9.6 ms per call, rows_c 3.6 instead of 4.5, 49.2 instead of 54.8 ms per
// step; fp64 8192: 26.4 against 29.4).
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
// PRE: the three sources that several groups share and the twiddles are read once for all groups
// (fp32 N = 16384 on an H200: rows_a 9.8 instead of 12.4 ms per call, 55.4 instead of 60.6 ms per
// step); in double they cost more registers than they save (fp64 N = 8192: 29.95 against 29.63)
#if DASHI_F64
const bool PRE = false;
#else
const bool PRE = true;
#endif

layout(push_constant, std430) uniform PC {
  CBuf i0, i1, i2, i3, i4, i5; // the sources from the dispatch's first row, row pitch N/2+1
  CBuf s0, s1, s2, s3;         // the scratch rows of the groups (row pitch N)
  CBuf tw;                     // exp(-2 pi i e/N), e = 0..N-1
  REAL scale;                  // 1/N^2 (the inverse normalization)
  uint flags;                  // rows_pair.comp's: 1 SGS, 2 lap form, 8 wy from psi
  uint kin;                    // inputs are read at ky <= kin (zero above)
} pc;

shared REAL sre[C * L];
shared REAL sim[C * L];
shared CPLX twl[L];

#include "colfft.glsl"
#include "rows_fields.glsl"

CBuf scratch(uint g) {
  switch (g) {
  case 0u: return pc.s0;
  case 1u: return pc.s1;
  case 2u: return pc.s2;
  default: return pc.s3;
  }
}

void main() {
  uint t = gl_LocalInvocationID.x, c = t % C, j = t / C;
  uint row = gl_WorkGroupID.y, b = gl_WorkGroupID.x * C + c;
  for (uint e = t; e < L; e += C * T) twl[e] = pc.tw.v[e * (N / L)];
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u;
  uint base = row * (N / 2u + 1u);
  // PRE: the shared sources and the twiddles W_N^(-b c)
  bool need2 = sgs || (pc.flags & 8u) != 0u;
  CPLX p0[8], p1[8], p2[8], w[8];
  for (uint i = 0u; PRE && i < 8u; i++) {
    uint k = Q * (j + i * T) + b, m = k > N / 2u ? N - k : k;
    p0[i] = source(pc.i0, base, m);
    p1[i] = source(pc.i1, base, m);
    p2[i] = need2 ? source(pc.i2, base, m) : CPLX(0);
    w[i] = pc.tw.v[b * (j + i * T)];
  }
  for (uint g = sgs ? 0u : 1u; g < (sgs && lap ? 4u : 3u); g++) {
    uint fa = g == 0u ? S11 : g == 1u ? WX : g == 2u ? U : LAP, fb = fa + 1u;
    // the inverse as the conjugate of the forward transform of the conjugate
    CPLX v[8];
    for (uint i = 0u; i < 8u; i++) {
      uint k = Q * (j + i * T) + b;
      bool hi = k > N / 2u;
      uint m = hi ? N - k : k;
      CPLX A = PRE ? field_pre(fa, base, m, p0[i], p1[i], p2[i]) : field(fa, base, m), B = CPLX(0);
      if (g < 3u) B = PRE ? field_pre(fb, base, m, p0[i], p1[i], p2[i]) : field(fb, base, m);
      if (hi) A = conjc(A), B = conjc(B);
      v[i] = conjc(pc.scale * (A + times_i(B)));
    }
    fft(c, j, v); // twl is read after the first exchange's barriers
    CBuf s = cbuf_offset(scratch(g), row * N);
    for (uint i = 0u; i < 8u; i++) // output c = j + i T: times W_N^(-b c)
      s.v[(j + i * T) * Q + b] = conjc(cmul(v[i], PRE ? w[i] : pc.tw.v[b * (j + i * T)]));
  }
}

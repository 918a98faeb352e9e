#version 460
// The row pass of the fused nonlinear products (one rank; src/backend/vulkan/vk_rows.c,
// docs/vulkan.md "Fused nonlinear products"). One workgroup of T = N/8 threads per physical row x
// (y contiguous):
//   1. the C2R transforms along y of the derivative fields, made per row from their sources,
//      given as the conjugate of their x-transformed spectra (mixed layout [x][ky],
//      ky = 0..N/2 contiguous, pitch N/2+1; `field` below),
//   2. the pointwise products of nonlinear.comp on the real row, in registers,
//   3. the R2C transforms along y of the products, written to the mixed layout for the x pass.
// No real field ever reaches memory. Two real fields go through one length-N complex transform:
// c = a + i b from the spectrum C[k] = A[k] + i B[k] (the Hermitian halves filled from the stored
// k <= N/2), and two products p, q come back from Z = FFT(p + i q) as
// P[k] = (Z[k] + conj Z[N-k])/2, Q[k] = (Z[k] - conj Z[N-k])/(2i). Only fields of one kind share
// a transform (s11 with s12, wx with wy, u with v, q1 with q2): a pair of very different
// magnitudes would cost the smaller one digits. Div form: 3 inverse + 2 forward transforms per row.
// The transforms are fft8.glsl's (8 points per thread in registers, radix-8 Stockham stages,
// shared memory only between stages); SPLIT exchanges (real, then imaginary parts) where the
// complex row does not fit: fp32 N = 8192 and fp64 N = 4096 on 48 KiB.
#include "types.glsl"

layout(constant_id = 0) const uint N = 64;
layout(constant_id = 1) const uint L8 = 2;   // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;   // then one stage of radix 1 (none), 2 or 4
layout(local_size_x_id = 3) in;              // T = N/8 threads
layout(constant_id = 4) const uint HI = 1;   // max(N/64, 1)
layout(constant_id = 5) const uint NIM = 64; // N, or 1 with SPLIT
layout(constant_id = 6) const uint SPLIT = 0;
layout(constant_id = 8) const uint TWG = 0; // twiddles from device memory (fft8.glsl)

const uint T = N / 8u;

layout(push_constant, std430) uniform PC {
  // the conjugated x transforms of the sources (vk_rows.c): psi = w/|k|^2, v = -i kx psi,
  // kx^2 psi/2, w, wx = i kx w, -kx^2 w; the factors of ky are applied here, per row
  CBuf i0, i1, i2, i3, i4, i5, i6;
  CBuf o0, o1, o2; // adv, q1, q2 (mixed layout)
  CBuf tw;         // exp(-2 pi i e/N), e = 0..N-1
  REAL smag2;      // (Cs Delta)^2 * 2
  REAL scale;      // 1/N^2 (the inverse normalization)
  uint flags;      // 1: SGS, 2: lap form, 4: write zero at ky = N/2
  uint kin;        // inputs are read at ky <= kin (zero above)
  uint kout;       // outputs are written at ky <= kout
} pc;

const uint FFT_COLS = 1u; // one transform (row) per workgroup
uint fft_thread() { return gl_LocalInvocationID.x; }
uint fft_col() { return 0u; }
CPLX fft_tw(uint e) { return pc.tw.v[e]; }
#include "fft8.glsl"

// the stored spectrum of one source at ky = m <= N/2: zero above kin and at N/2, DC real
CPLX source(CBuf src, uint base, uint m) {
  CPLX z = m <= pc.kin && m < N / 2u ? conjc(src.v[base + m]) : CPLX(0);
  if (m == 0u) z.y = REAL(0);
  return z;
}

const uint U = 0u, V = 1u, WX = 2u, WY = 3u, S11 = 4u, S12 = 5u, LAP = 6u;
// field f at ky = m from the sources: u = i ky psi, v, wx, wy = i ky w, S11 = du/dx = -i ky v,
// S12 = (kx^2 - ky^2) psi/2, lap w = -kx^2 w - ky^2 w
CPLX field(uint f, uint base, uint m) {
  REAL ky = REAL(m);
  switch (f) {
  case U: return ky * times_i(source(pc.i0, base, m));
  case V: return source(pc.i1, base, m);
  case WX: return source(pc.i4, base, m);
  case WY: return ky * times_i(source(pc.i3, base, m));
  case S11: return -ky * times_i(source(pc.i1, base, m));
  case S12: return source(pc.i2, base, m) - REAL(0.5) * ky * ky * source(pc.i0, base, m);
  default: return source(pc.i5, base, m) - ky * ky * source(pc.i3, base, m);
  }
}

// real rows of fields fa (and fb): v[i] = (a, b) at y = t + i T
void inverse_pair(uint fa, uint fb, bool hasb, uint row, out CPLX v[8]) {
  uint t = gl_LocalInvocationID.x, base = row * (N / 2u + 1u);
  for (uint i = 0u; i < 8u; i++) {
    uint k = t + i * T;
    bool hi = k > N / 2u;
    uint m = hi ? N - k : k;
    CPLX A = field(fa, base, m), B = hasb ? field(fb, base, m) : CPLX(0);
    if (hi) A = conjc(A), B = conjc(B);
    v[i] = pc.scale * (A + times_i(B));
  }
  fft(v, true);
}

// the half spectra of p = Re v, q = Im v (v[i] at y = t + i T) at ky <= kout into dp (and dq)
void forward_pair(CPLX v[8], CBuf dp, CBuf dq, bool hasq, uint row) {
  uint t = gl_LocalInvocationID.x, base = row * (N / 2u + 1u);
  fft(v, false);
  uint o[8], rd[8];
  CPLX zm[8]; // Z[N - k] for the k = t + i T <= N/2 of this thread (i <= 4)
  slots(t, T, o);
  for (uint i = 0u; i < 8u; i++) rd[i] = slot((N - t - i * T) & (N - 1u));
  exchange(v, o, rd, 5u, zm);
  for (uint i = 0u; i < 5u; i++) {
    uint k = t + i * T;
    if (k > pc.kout) continue;
    CPLX c = conjc(zm[i]), d = v[i] - c;
    dp.v[base + k] = REAL(0.5) * (v[i] + c);
    if (hasq) dq.v[base + k] = REAL(0.5) * CPLX(d.y, -d.x);
  }
  if (t == 0u && (pc.flags & 4u) != 0u) {
    dp.v[base + N / 2u] = CPLX(0);
    if (hasq) dq.v[base + N / 2u] = CPLX(0);
  }
}

void main() {
  uint row = gl_WorkGroupID.x, t = gl_LocalInvocationID.x;
  fft_twiddles(pc.tw);
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u;
  CPLX v[8];
  REAL nut[8], ax[8], ay[8];
  if (!sgs) {
    inverse_pair(WX, WY, true, row, v);
    for (uint i = 0u; i < 8u; i++) ax[i] = v[i].x, ay[i] = v[i].y;
    inverse_pair(U, V, true, row, v);
    for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
    forward_pair(v, pc.o0, pc.o0, false, row);
    return;
  }
  inverse_pair(S11, S12, true, row, v);
  for (uint i = 0u; i < 8u; i++) nut[i] = pc.smag2 * sqrt(v[i].x * v[i].x + v[i].y * v[i].y);
  if (!lap) {
    inverse_pair(WX, WY, true, row, v); // -> q1, q2
    for (uint i = 0u; i < 8u; i++) {
      ax[i] = v[i].x, ay[i] = v[i].y;
      v[i] = nut[i] * v[i];
    }
    forward_pair(v, pc.o1, pc.o2, true, row);
    inverse_pair(U, V, true, row, v); // -> adv
    for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
    forward_pair(v, pc.o0, pc.o0, false, row);
    return;
  }
  // lap form: only fields of one kind share a transform (a pair of very different magnitudes,
  // such as lap w and wx, would cost the smaller one digits)
  inverse_pair(WX, WY, true, row, v);
  for (uint i = 0u; i < 8u; i++) ax[i] = v[i].x, ay[i] = v[i].y;
  inverse_pair(U, V, true, row, v); // -> adv
  for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
  forward_pair(v, pc.o0, pc.o0, false, row);
  inverse_pair(LAP, LAP, false, row, v); // -> q
  for (uint i = 0u; i < 8u; i++) v[i] = CPLX(nut[i] * v[i].x, REAL(0));
  forward_pair(v, pc.o1, pc.o1, false, row);
}

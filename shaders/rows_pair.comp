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
// Each thread holds 8 points in registers; radix-8 stages (+ one radix-2 or radix-4 stage when N
// is not a power of 8) exchange through shared memory only between stages. Where N is a power of
// 8 they are in place (fft_dif, fft_dit: one barrier per exchange); else Stockham (fft: two). The
// first stage reads the natural order from memory and the last one leaves the row in registers.
// With SPLIT the shared row holds N reals and each exchange moves the real parts, then the
// imaginary parts (twice the barriers but one, half the shared memory: fp32 N = 8192 and fp64
// N = 4096 on 48 KiB).
// Twiddles exp(-2 pi i e/N) come from a host table computed in double, as the product of two small
// tables in shared memory, tw[64 h] tw[l] (with TWSQ, in double, only a stage's w1: w2 and w4 are
// its square and fourth power).
#include "types.glsl"
#include "fft_math.glsl"

layout(constant_id = 0) const uint N = 64;
layout(constant_id = 1) const uint L8 = 2;   // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;   // then one stage of radix 1 (none), 2 or 4
layout(local_size_x_id = 3) in;              // T = N/8 threads
layout(constant_id = 4) const uint HI = 1;   // max(N/64, 1)
layout(constant_id = 5) const uint NIM = 64; // N, or 1 with SPLIT
layout(constant_id = 6) const uint SPLIT = 0;
layout(constant_id = 7) const uint LINSLOT = 1; // slots as base + r step (see slots)
// 1: w2 = w1^2 and w4 = w2^2 instead of two more table products per stage (vk_rows_spec: double)
layout(constant_id = 8) const uint TWSQ = 0;

const uint T = N / 8u;

layout(push_constant, std430) uniform PC {
  // the conjugated x transforms of the sources (vk_rows.c): psi = w/|k|^2, v = -i kx psi,
  // kx^2 psi/2, w, wx = i kx w, -kx^2 w; the factors of ky are applied here, per row
  CBuf i0, i1, i2, i3, i4, i5, i6;
  CBuf o0, o1, o2; // adv, q1, q2 (mixed layout)
  CBuf tw;         // exp(-2 pi i e/N), e = 0..N-1
  ABuf part;       // flag 32: the row's reductions (reduce_row)
  REAL smag2;      // (Cs Delta)^2 * 2
  REAL scale;      // 1/N^2 (the inverse normalization)
  uint flags;      // 1: SGS, 2: lap form, 4: write zero at ky = N/2, 8: wy from psi (no w),
                   // 16: div form, o0 = adv + i ky q2 and no o2 (backend.h fold_q2),
                   // 32: reduce (backend.h diag), 64: with 16, q2 into o2 as well
  uint kin;        // inputs are read at ky <= kin (zero above)
  uint kout;       // outputs are written at ky <= kout
} pc;

// one padding slot after every 8 values: the exchanges of the first stages write at strides of 8
// and 64 values, which would put up to 8 threads of a warp on one bank (measured: 2.67 instead of
// 2.96 ms per step at N = 4096 fp32 on an H200)
uint pad(uint i) { return i + (i >> 3); }
// the slots pad(i0 + r s), r = 0..7; with LINSLOT as b + r d (pad is linear over steps s that are
// multiples of 8, and over s = 1 from a multiple of 8): one multiply-add or an immediate offset per
// value instead of the padding arithmetic. Measured on an H200 (ms/step): split exchanges, fp32
// N = 8192, 10.53 against 11.26 (LINSLOT); whole fp32 ones, N = 4096, 2.35 against 2.38 and
// N = 2048, 0.559 against 0.565 (no LINSLOT: 125 instead of 114 registers); vk_rows_spec chooses.
void slots(uint i0, uint s, out uint sl[8]) {
  bool lin = LINSLOT != 0u && (s % 8u == 0u || (s == 1u && i0 % 8u == 0u));
  uint b = pad(i0), d = s == 1u ? 1u : s + s / 8u;
  for (uint r = 0u; r < 8u; r++) sl[r] = lin ? b + r * d : pad(i0 + r * s);
}
// Whole exchanges in double move complex values through one array (one 128-bit access per value:
// fp64 N = 2048, 1.22 against 1.32 ms/step on an H200); in single they move the real and the
// imaginary parts through two (one array of vec2 was slower: N = 4096, 2.60 against 2.52);
// SPLIT ones the real parts, then the imaginary parts, through sre.
#if DASHI_F64
const uint NRE = N + 1u - NIM; // N with SPLIT, else 1
shared CPLX sc[NIM + NIM / 8u];
shared REAL sre[NRE + NRE / 8u];
#else
shared REAL sre[N + N / 8u];
shared REAL sim[NIM + NIM / 8u];
#endif
shared CPLX twlo[64];
shared CPLX twhi[HI];

// exp(-2 pi i e/N) (inv: its conjugate), e < N
CPLX wn(uint e, bool inv) {
  CPLX w = cmul(twhi[e >> 6], twlo[e & 63u]);
  return inv ? conjc(w) : w;
}

// v[i] -> shared slot o[i]; then dst[i] <- shared slot rd[i], i < nr (every thread takes part)
void exchange(CPLX v[8], uint o[8], uint rd[8], uint nr, out CPLX dst[8]) {
  barrier();
#if DASHI_F64
  if (SPLIT == 0u) {
    for (uint i = 0u; i < 8u; i++) sc[o[i]] = v[i];
    barrier();
    for (uint i = 0u; i < nr; i++) dst[i] = sc[rd[i]];
    return;
  }
#endif
  for (uint i = 0u; i < 8u; i++) {
    sre[o[i]] = v[i].x;
#if !DASHI_F64
    if (SPLIT == 0u) sim[o[i]] = v[i].y;
#endif
  }
  barrier();
  for (uint i = 0u; i < nr; i++) {
    dst[i].x = sre[rd[i]];
#if !DASHI_F64
    if (SPLIT == 0u) dst[i].y = sim[rd[i]];
#endif
  }
  if (SPLIT != 0u) {
    barrier();
    for (uint i = 0u; i < 8u; i++) sre[o[i]] = v[i].y;
    barrier();
    for (uint i = 0u; i < nr; i++) dst[i].y = sre[rd[i]];
  }
}

// v[r] *= W_N^(r e) (inv: conjugate), r = 1..7: a stage's twiddles, e = n T/sub < T
void twiddle8(inout CPLX v[8], uint e, bool inv) {
  CPLX w1 = wn(e, inv), w2, w4;
  if (TWSQ != 0u) {
    w2 = cmul(w1, w1);
    w4 = cmul(w2, w2);
  } else {
    w2 = wn(2u * e, inv);
    w4 = wn(4u * e, inv);
  }
  CPLX w3 = cmul(w1, w2);
  v[1] = cmul(v[1], w1);
  v[2] = cmul(v[2], w2);
  v[3] = cmul(v[3], w3);
  v[4] = cmul(v[4], w4);
  v[5] = cmul(v[5], cmul(w1, w4));
  v[6] = cmul(v[6], cmul(w2, w4));
  v[7] = cmul(v[7], cmul(w3, w4));
}

// the radix-8 stage on blocks of B = 8 sub points: thread t takes n = t mod sub of block
// b = t / sub, the points b B + n + r sub (r = 0..7), in place
void stage_slots(uint sub, out uint sl[8]) {
  uint t = gl_LocalInvocationID.x, n = t & (sub - 1u);
  slots((t - n) * 8u + n, sub, sl);
}

// in place: v[i] -> shared slot cur[i], then v[i] <- shared slot nxt[i]. Each slot of cur is one
// this thread read last (or, first in a transform, after a barrier), and each slot of nxt only
// this thread reads, so one barrier between the writes and the reads suffices (split: three)
void swap_slots(inout CPLX v[8], uint cur[8], uint nxt[8]) {
#if DASHI_F64
  if (SPLIT == 0u) {
    for (uint i = 0u; i < 8u; i++) sc[cur[i]] = v[i];
    barrier();
    for (uint i = 0u; i < 8u; i++) v[i] = sc[nxt[i]];
    return;
  }
#endif
  for (uint i = 0u; i < 8u; i++) {
    sre[cur[i]] = v[i].x;
#if !DASHI_F64
    if (SPLIT == 0u) sim[cur[i]] = v[i].y;
#endif
  }
  barrier();
  for (uint i = 0u; i < 8u; i++) {
    v[i].x = sre[nxt[i]];
#if !DASHI_F64
    if (SPLIT == 0u) v[i].y = sim[nxt[i]];
#endif
  }
  if (SPLIT != 0u) {
    barrier(); // the others' reads of the real parts are done
    for (uint i = 0u; i < 8u; i++) sre[cur[i]] = v[i].y;
    barrier();
    for (uint i = 0u; i < 8u; i++) v[i].y = sre[nxt[i]];
  }
}

// Stockham (N not a power of 8): in-place length-N transform (inv: exponent +), unnormalized;
// thread t holds x[t + i T] in v[i] on entry and X[t + i T] on return (the last stage writes in
// natural order)
void fft(inout CPLX v[8], bool inv) {
  uint t = gl_LocalInvocationID.x, ns = 1u;
  for (uint s = 0u; s < L8; s++) {
    uint k = t & (ns - 1u);
    if (ns > 1u) { // input r times W_(8 ns)^(r k) = W_N^(r e)
      twiddle8(v, k * (T / ns), inv);
    }
    dft8(v, inv);
    if (s + 1u < L8 || R2 > 1u) {
      uint o[8], rd[8];
      slots((t - k) * 8u + k, ns, o);
      slots(t, T, rd);
      exchange(v, o, rd, 8u, v);
    }
    ns *= 8u;
  }
  // last stage, ns = N/R2: butterfly j = t + m T takes registers m + r (8/R2), twiddle W_N^(r j),
  // and writes back to the same registers (natural order)
  if (R2 == 2u) {
    for (uint m = 0u; m < 4u; m++) {
      CPLX a = v[m], b = cmul(v[m + 4u], wn(t + m * T, inv));
      v[m] = a + b;
      v[m + 4u] = a - b;
    }
  } else if (R2 == 4u) {
    for (uint m = 0u; m < 2u; m++) {
      uint j = t + m * T;
      CPLX x0 = v[m], x1 = cmul(v[m + 2u], wn(j, inv)), x2 = cmul(v[m + 4u], wn(2u * j, inv)),
           x3 = cmul(v[m + 6u], wn(3u * j, inv));
      dft4(x0, x1, x2, x3, inv);
      v[m] = x0, v[m + 2u] = x1, v[m + 4u] = x2, v[m + 6u] = x3;
    }
  }
}

// Where N is a power of 8 (R2 = 1: N = 64, 512, 4096) the row transforms are in place, decimation
// in frequency one way and in time the other, so that no exchange reorders the points: fft_dif
// takes the natural order, x[t + i T] in v[i], and leaves the transform in the order of its stages,
// the point 8 t + i of the in-place array in v[i]; fft_dit takes that order and leaves X[t + i T]
// in v[i]. Pointwise products between them do not care where a point is, and every fft_dif leaves
// the same order. Radix-8 stages on blocks of N down to blocks of 8; fft_dit runs the transposed
// stages in the reverse order (the DFT's matrix is symmetric). One barrier per exchange instead
// of two (split: three instead of four). Measured on an H200 (ms/step, session 20): fp32
// N = 4096 2.115-2.135 against 2.135-2.169, fp64 4096 4.08 against 4.17-4.19; with the radix-2 or
// -4 stage of other N, last (8192: 10.07 against 9.50; 2048: 0.504 against 0.484) or first (9.59
// against 9.44; 0.588 against 0.481), slower: those keep fft above. Unnormalized, inv: exponent +.
void restage(inout CPLX v[8], uint from, uint to) {
  uint cur[8], nxt[8];
  stage_slots(from, cur);
  stage_slots(to, nxt);
  swap_slots(v, cur, nxt);
}

void fft_dif(inout CPLX v[8], bool inv) {
  uint t = gl_LocalInvocationID.x, sub = T;
  barrier(); // the shared row's last readers are done
  for (uint s = 0u; s < L8; s++) {
    if (s > 0u) restage(v, sub * 8u, sub);
    dft8(v, inv);
    if (sub > 1u) twiddle8(v, (t & (sub - 1u)) * (T / sub), inv);
    sub /= 8u;
  }
}

void fft_dit(inout CPLX v[8], bool inv) {
  uint t = gl_LocalInvocationID.x, sub = 1u;
  barrier(); // the shared row's last readers are done
  for (uint s = 0u; s < L8; s++) {
    if (s > 0u) restage(v, sub / 8u, sub);
    if (sub > 1u) twiddle8(v, (t & (sub - 1u)) * (T / sub), inv);
    dft8(v, inv);
    sub *= 8u;
  }
}

#include "rows_fields.glsl"

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
  if (R2 == 1u) fft_dif(v, true);
  else fft(v, true);
}

// the half spectra of p = Re v, q = Im v (v[i] at y = t + i T) at ky <= kout into dp, and by
// mode: 0 q unused, 1 q into dq, 2 q kept in kq (this thread's k = t + i T, i < 5), 3 p + i ky kq
// into dp (the fold of flag 16: adv + i ky q2)
void forward_pair(CPLX v[8], CBuf dp, CBuf dq, uint mode, inout CPLX kq[5], uint row) {
  uint t = gl_LocalInvocationID.x, base = row * (N / 2u + 1u);
  if (R2 == 1u) fft_dit(v, false);
  else fft(v, false);
  // a real p alone (modes 0, 3): P = Z, no exchange for Z[N - k]
  bool paired = mode == 1u || mode == 2u;
  CPLX zm[8]; // Z[N - k] for the k = t + i T <= N/2 of this thread (i <= 4)
  if (paired) {
    uint o[8], rd[8];
    slots(t, T, o);
    for (uint i = 0u; i < 8u; i++) rd[i] = pad((N - t - i * T) & (N - 1u));
    exchange(v, o, rd, 5u, zm);
  }
  for (uint i = 0u; i < 5u; i++) {
    uint k = t + i * T;
    if (k > pc.kout) continue;
    CPLX P = v[i], Q = CPLX(0);
    if (paired) {
      CPLX c = conjc(zm[i]), d = v[i] - c;
      P = REAL(0.5) * (v[i] + c);
      Q = REAL(0.5) * CPLX(d.y, -d.x);
    }
    if (mode == 3u) P += REAL(k) * times_i(kq[i]);
    dp.v[base + k] = P;
    if (mode == 1u) dq.v[base + k] = Q;
    if (mode == 2u) {
      kq[i] = Q;
      if ((pc.flags & 64u) != 0u) dq.v[base + k] = Q;
    }
  }
  if (t == 0u && (pc.flags & 4u) != 0u) {
    dp.v[base + N / 2u] = CPLX(0);
    if (mode == 1u || (mode == 2u && (pc.flags & 64u) != 0u)) dq.v[base + N / 2u] = CPLX(0);
  }
}

// Flag 32, a diagnostics record (rows_reduce.glsl): each reduction is folded over the row where
// its values are made, so that nothing stays in registers across the transforms. The exchange row
// as 9T reals (up to 4T used there)
void put(uint i, REAL x) {
#if DASHI_F64
  if (SPLIT == 0u) {
    sc[i] = CPLX(x, REAL(0));
    return;
  }
#endif
  sre[i] = x;
}
REAL get(uint i) {
#if DASHI_F64
  if (SPLIT == 0u) return sc[i].x;
#endif
  return sre[i];
}

#include "rows_reduce.glsl"

void main() {
  uint row = gl_WorkGroupID.x, t = gl_LocalInvocationID.x;
  for (uint j = t; j < 64u; j += T) twlo[j] = j < N ? pc.tw.v[j] : CPLX(0);
  for (uint j = t; j < HI; j += T) twhi[j] = pc.tw.v[64u * j];
  barrier();
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u, red = (pc.flags & 32u) != 0u;
  CPLX v[8], kq[5];
  REAL nut[8], ax[8], ay[8];
  if (!sgs) {
    inverse_pair(WX, WY, true, row, v);
    for (uint i = 0u; i < 8u; i++) ax[i] = v[i].x, ay[i] = v[i].y;
    inverse_pair(U, V, true, row, v);
    if (red) {
      reduce_uv(v, t, T, row);
      if (t == 0u) pc.part.v[4u * gl_NumWorkGroups.x + row] = ACC(0); // no nu_t
    }
    for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
    forward_pair(v, pc.o0, pc.o0, 0u, kq, row);
    return;
  }
  inverse_pair(S11, S12, true, row, v);
  for (uint i = 0u; i < 8u; i++) nut[i] = pc.smag2 * sqrt(v[i].x * v[i].x + v[i].y * v[i].y);
  if (red) reduce_nut(nut, t, T, row);
  if (!lap) {
    inverse_pair(WX, WY, true, row, v); // -> q1, q2
    for (uint i = 0u; i < 8u; i++) {
      ax[i] = v[i].x, ay[i] = v[i].y;
      v[i] = nut[i] * v[i];
    }
    bool fold = (pc.flags & 16u) != 0u; // q2 kept in registers, then adv + i ky q2
    forward_pair(v, pc.o1, pc.o2, fold ? 2u : 1u, kq, row);
    inverse_pair(U, V, true, row, v); // -> adv
    if (red) reduce_uv(v, t, T, row);
    for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
    forward_pair(v, pc.o0, pc.o0, fold ? 3u : 0u, kq, row);
    return;
  }
  // lap form: only fields of one kind share a transform (a pair of very different magnitudes,
  // such as lap w and wx, would cost the smaller one digits)
  inverse_pair(WX, WY, true, row, v);
  for (uint i = 0u; i < 8u; i++) ax[i] = v[i].x, ay[i] = v[i].y;
  inverse_pair(U, V, true, row, v); // -> adv
  if (red) reduce_uv(v, t, T, row);
  for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
  forward_pair(v, pc.o0, pc.o0, 0u, kq, row);
  inverse_pair(LAP, LAP, false, row, v); // -> q
  for (uint i = 0u; i < 8u; i++) v[i] = CPLX(nut[i] * v[i].x, REAL(0));
  forward_pair(v, pc.o1, pc.o1, 0u, kq, row);
}

// Length-N complex transforms by T = N/8 threads each, 8 points per thread in registers
// (included by rows_pair.comp and cols_pass.comp). Stockham radix-8 stages (+ one radix-2 or
// radix-4 stage when N is not a power of 8) exchange through shared memory only between stages:
// the first stage reads the natural order and the last one leaves it in registers, thread t
// holding x[t + i T] in v[i]. With SPLIT the shared row holds N reals per transform and each
// exchange moves the real parts, then the imaginary parts (twice the barriers, half the shared
// memory). Twiddles exp(-2 pi i e/N) come from a host table computed in double, as the product of
// two small tables in shared memory, tw[64 h] tw[l] (fft_twiddles loads them).
//
// The includer declares the specialization constants N, L8 (radix-8 stages), R2 (radix of the
// last stage: 1, 2 or 4), HI = max(N/64, 1), NIM (N, or 1 with SPLIT), SPLIT, FFT_COLS
// (transforms per workgroup), TWG (twiddles from device memory), T = N/8, and the functions
// fft_thread() (0..T-1, the thread's index in its transform), fft_col() (0..FFT_COLS-1, its
// transform) and fft_tw(e) (the host table's exp(-2 pi i e/N)), before including this file.

// one padding slot after every 8 values: the exchanges of the first stages write at strides of 8
// and 64 values, which would put up to 8 threads of a warp on one bank (measured: 2.67 instead of
// 2.96 ms per step at N = 4096 fp32 on an H200)
uint pad(uint i) { return i + (i >> 3); }
// value i of this thread's transform in shared memory: the FFT_COLS transforms of a workgroup
// are interleaved (transform c at pad(i) FFT_COLS + c), so that a warp's neighbouring threads,
// which belong to neighbouring transforms, meet neighbouring banks
uint slot(uint i) { return pad(i) * FFT_COLS + fft_col(); }
// the slots of i0 + r s (r = 0..7) as b + r d: pad is linear over steps s that are multiples of 8
// (and over s = 1 from a multiple of 8), which leaves one multiply-add per value, or an immediate
// offset, instead of the padding arithmetic
void slots(uint i0, uint s, out uint sl[8]) {
  bool lin = s % 8u == 0u || (s == 1u && i0 % 8u == 0u);
  uint b = slot(i0), d = FFT_COLS * (s == 1u ? 1u : s + s / 8u);
  for (uint r = 0u; r < 8u; r++) sl[r] = lin ? b + r * d : slot(i0 + r * s);
}
// whole exchanges move complex values (one 64/128-bit access per value); SPLIT ones the real
// parts, then the imaginary parts, through the real row (NRE = N + 1 - NIM: N with SPLIT, else 1)
const uint NRE = N + 1u - NIM;
shared CPLX sc[FFT_COLS * (NIM + NIM / 8u)];
shared REAL sre[FFT_COLS * (NRE + NRE / 8u)];
shared CPLX twlo[64];
shared CPLX twhi[HI];

#if DASHI_F64
#define SQRT1_2 0.70710678118654752440LF
#else
#define SQRT1_2 0.70710678118654752440
#endif

CPLX cmul(CPLX a, CPLX b) { return CPLX(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
CPLX conjc(CPLX a) { return CPLX(a.x, -a.y); }
CPLX times_i(CPLX a) { return CPLX(-a.y, a.x); }
// exp(-2 pi i e/N) (inv: its conjugate), e < N: with TWG from the host table in device memory
// (fft_tw), else as the product of the two small tables in shared memory
CPLX wn(uint e, bool inv) {
  CPLX w = TWG != 0u ? fft_tw(e) : cmul(twhi[e >> 6], twlo[e & 63u]);
  return inv ? conjc(w) : w;
}

// v[i] -> shared slot o[i]; then dst[i] <- shared slot rd[i], i < nr (every thread takes part)
void exchange(CPLX v[8], uint o[8], uint rd[8], uint nr, out CPLX dst[8]) {
  barrier();
  if (SPLIT == 0u) {
    for (uint i = 0u; i < 8u; i++) sc[o[i]] = v[i];
    barrier();
    for (uint i = 0u; i < nr; i++) dst[i] = sc[rd[i]];
    return;
  }
  for (uint i = 0u; i < 8u; i++) sre[o[i]] = v[i].x;
  barrier();
  for (uint i = 0u; i < nr; i++) dst[i].x = sre[rd[i]];
  barrier();
  for (uint i = 0u; i < 8u; i++) sre[o[i]] = v[i].y;
  barrier();
  for (uint i = 0u; i < nr; i++) dst[i].y = sre[rd[i]];
}

void dft4(inout CPLX x0, inout CPLX x1, inout CPLX x2, inout CPLX x3, bool inv) {
  CPLX a0 = x0 + x2, a1 = x0 - x2, a2 = x1 + x3, d = x1 - x3;
  CPLX a3 = inv ? times_i(d) : -times_i(d);
  x0 = a0 + a2;
  x1 = a1 + a3;
  x2 = a0 - a2;
  x3 = a1 - a3;
}

// X[m] = sum_r v[r] W_8^(r m) (inv: conjugate twiddles), in place
void dft8(inout CPLX v[8], bool inv) {
  CPLX a0 = v[0] + v[4], a1 = v[1] + v[5], a2 = v[2] + v[6], a3 = v[3] + v[7];
  CPLX b0 = v[0] - v[4], b1 = v[1] - v[5], b2 = v[2] - v[6], b3 = v[3] - v[7];
  // b_r W_8^r: W_8 = (1 - i)/sqrt 2, W_8^2 = -i, W_8^3 = -i W_8 (inv: conjugates)
  REAL h = REAL(SQRT1_2);
  b1 = inv ? h * CPLX(b1.x - b1.y, b1.x + b1.y) : h * CPLX(b1.x + b1.y, b1.y - b1.x);
  b2 = inv ? times_i(b2) : -times_i(b2);
  b3 = inv ? h * CPLX(b3.x - b3.y, b3.x + b3.y) : h * CPLX(b3.x + b3.y, b3.y - b3.x);
  b3 = inv ? times_i(b3) : -times_i(b3);
  dft4(a0, a1, a2, a3, inv);
  dft4(b0, b1, b2, b3, inv);
  v[0] = a0, v[2] = a1, v[4] = a2, v[6] = a3;
  v[1] = b0, v[3] = b1, v[5] = b2, v[7] = b3;
}

// in-place length-N transform (inv: exponent +), unnormalized; thread t holds x[t + i T] in v[i]
// on entry and X[t + i T] on return (Stockham: the last stage writes in natural order)
void fft(inout CPLX v[8], bool inv) {
  uint t = fft_thread(), ns = 1u;
  for (uint s = 0u; s < L8; s++) {
    uint k = t & (ns - 1u);
    if (ns > 1u) { // input r times W_(8 ns)^(r k) = W_N^(r e)
      uint e = k * (T / ns);
      if (TWG != 0u) {
        for (uint r = 1u; r < 8u; r++) v[r] = cmul(v[r], wn(r * e, inv));
      } else {
        CPLX w1 = wn(e, inv), w2 = wn(2u * e, inv), w4 = wn(4u * e, inv), w3 = cmul(w1, w2);
        v[1] = cmul(v[1], w1);
        v[2] = cmul(v[2], w2);
        v[3] = cmul(v[3], w3);
        v[4] = cmul(v[4], w4);
        v[5] = cmul(v[5], cmul(w1, w4));
        v[6] = cmul(v[6], cmul(w2, w4));
        v[7] = cmul(v[7], cmul(w3, w4));
      }
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

// the twiddle tables from the host table tw (every thread of the workgroup takes part)
void fft_twiddles(CBuf tw) {
  uint l = gl_LocalInvocationID.x, nt = FFT_COLS * T;
  for (uint j = l; j < 64u; j += nt) twlo[j] = j < N ? tw.v[j] : CPLX(0);
  for (uint j = l; j < HI; j += nt) twhi[j] = tw.v[64u * j];
  barrier();
}

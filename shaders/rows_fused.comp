#version 460
// The row pass of the fused nonlinear products (one rank; src/backend/vulkan/vk_rows.c,
// docs/vulkan.md "Fused row pass"). One workgroup per physical row x (y contiguous):
//   1. the C2R transforms along y of the derivative fields, given as the conjugate of their
//      x-transformed spectra (mixed layout [x][ky], ky = 0..N/2 contiguous, pitch N/2+1),
//   2. the pointwise products of nonlinear.comp on the real row, kept in registers,
//   3. the R2C transforms along y of the products, written to the mixed layout for the x pass.
// No real field ever reaches memory. The length-N real transforms are length-N/2 complex
// transforms with the real-FFT packing (z[n] = x[2n] + i x[2n+1]); the complex transforms are
// radix-4 Stockham stages (+ one radix-2 stage when log2(N/2) is odd) in shared memory, four points
// per thread, with twiddles from a table computed on the host in double, tw[e] = exp(-2 pi i e/N),
// taken in the kernel as the product of two small tables in shared memory, tw[64 h] tw[l] (read
// from the global table at every use instead, a step took 1.23-1.25x as long at N = 4096 and 8192 on
// an H200; one padding slot every 4 points against bank conflicts made it slower, not faster).
#include "types.glsl"

layout(constant_id = 0) const uint N = 64;
layout(constant_id = 1) const uint MH = 32;  // N/2 complex points
layout(constant_id = 2) const uint LOG4 = 2; // radix-4 stages
layout(constant_id = 3) const uint ODD = 1;  // then one radix-2 stage
layout(local_size_x_id = 4) in;              // MH/4 threads
layout(constant_id = 5) const uint HI = 1;   // max(N/64, 1)

layout(push_constant, std430) uniform PC {
  CBuf i0, i1, i2, i3, i4, i5, i6; // u, v, wx, wy, s11, s12, lap w: conj of the x transforms
  CBuf o0, o1, o2;                 // adv, q1, q2 (mixed layout)
  CBuf tw;                         // exp(-2 pi i e/N), e = 0..N-1
  REAL smag2;                      // (Cs Delta)^2 * 2
  REAL scale;                      // 1/N^2 (the inverse normalization)
  uint flags;                      // 1: SGS, 2: lap form, 4: write zero at ky = N/2
  uint kin;                        // inputs are read at ky <= kin (zero above)
  uint kout;                       // outputs are written at ky <= kout
} pc;

shared CPLX sm[MH];
shared CPLX twlo[64];
shared CPLX twhi[HI];

CPLX cmul(CPLX a, CPLX b) { return CPLX(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
CPLX conjc(CPLX a) { return CPLX(a.x, -a.y); }
CPLX times_i(CPLX a) { return CPLX(-a.y, a.x); }
// W_N^e (inv: its conjugate)
CPLX wn(uint e, bool inv) {
  CPLX w = cmul(twhi[e >> 6], twlo[e & 63u]);
  return inv ? conjc(w) : w;
}

// in-place length-MH transform of sm (inv: exponent +), unnormalized
void fft(bool inv) {
  uint t = gl_LocalInvocationID.x, q = MH / 4u, ns = 1u;
  for (uint s = 0u; s < LOG4; s++) {
    CPLX v0 = sm[t], v1 = sm[t + q], v2 = sm[t + 2u * q], v3 = sm[t + 3u * q];
    uint k = t & (ns - 1u);
    if (ns > 1u) { // W_M^(r k MH/(4 ns)) = W_N^(2 r k MH/(4 ns))
      uint e = 2u * k * (MH / (4u * ns));
      v1 = cmul(v1, wn(e, inv));
      v2 = cmul(v2, wn(2u * e, inv));
      v3 = cmul(v3, wn(3u * e, inv));
    }
    CPLX a0 = v0 + v2, a1 = v0 - v2, a2 = v1 + v3, d = v1 - v3;
    CPLX a3 = inv ? times_i(d) : -times_i(d);
    barrier();
    uint o = (t - k) * 4u + k;
    sm[o] = a0 + a2;
    sm[o + ns] = a1 + a3;
    sm[o + 2u * ns] = a0 - a2;
    sm[o + 3u * ns] = a1 - a3;
    barrier();
    ns *= 4u;
  }
  if (ODD != 0u) { // ns = MH/2: twiddle W_M^j = W_N^(2j)
    for (uint r = 0u; r < 2u; r++) {
      uint j = t + r * q;
      CPLX v0 = sm[j], v1 = cmul(sm[j + MH / 2u], wn(2u * j, inv));
      sm[j] = v0 + v1;
      sm[j + MH / 2u] = v0 - v1;
    }
    barrier();
  }
}

// Z[k] of the packed inverse from the half spectrum X (X[MH] = 0, DC real):
// Fe = c (X[k] + conj X[MH-k]), Fo = c W_N^-k (X[k] - conj X[MH-k]), Z = Fe + i Fo, c = 1/N^2
CPLX pack_inv(CPLX xk, CPLX xm, uint k) {
  CPLX fe = pc.scale * (xk + conjc(xm));
  CPLX fo = pc.scale * cmul(wn(k, true), xk - conjc(xm));
  return fe + times_i(fo);
}

// real row of field `src` at row x: thread t gets x[2n], x[2n+1] for n = t + r MH/4 in v[r]
void inverse_row(CBuf src, uint row, out CPLX v[4]) {
  uint t = gl_LocalInvocationID.x, q = MH / 4u, base = row * (MH + 1u);
  for (uint r = 0u; r < 4u; r++) {
    uint k = t + r * q;
    sm[k] = k <= pc.kin ? conjc(src.v[base + k]) : CPLX(0);
  }
  barrier();
  CPLX zk[2], zm[2], zh = CPLX(0);
  for (uint r = 0u; r < 2u; r++) {
    uint k = t + r * q; // k < MH/2: the pair (k, MH-k)
    CPLX xk = sm[k], xm = k == 0u ? CPLX(0) : sm[MH - k];
    if (k == 0u) xk.y = REAL(0);
    zk[r] = pack_inv(xk, xm, k);
    zm[r] = pack_inv(xm, xk, MH - k); // Z[MH-k] (unused for k = 0)
  }
  if (t == 0u) zh = pack_inv(sm[MH / 2u], sm[MH / 2u], MH / 2u);
  barrier();
  for (uint r = 0u; r < 2u; r++) {
    uint k = t + r * q;
    sm[k] = zk[r];
    if (k > 0u) sm[MH - k] = zm[r];
  }
  if (t == 0u) sm[MH / 2u] = zh;
  barrier();
  fft(true);
  for (uint r = 0u; r < 4u; r++) v[r] = sm[t + r * q];
  barrier();
}

// half spectrum X[k] = Fe + W_N^k Fo, Fe = (Z[k] + conj Z[MH-k])/2, Fo = -i (Z[k] - conj Z[MH-k])/2
void forward_row(CPLX v[4], CBuf dst, uint row) {
  uint t = gl_LocalInvocationID.x, q = MH / 4u, base = row * (MH + 1u);
  for (uint r = 0u; r < 4u; r++) sm[t + r * q] = v[r];
  barrier();
  fft(false);
  for (uint r = 0u; r < 4u; r++) {
    uint k = t + r * q;
    if (k > pc.kout) continue;
    CPLX zk = sm[k], zm = conjc(sm[(MH - k) & (MH - 1u)]);
    CPLX fe = REAL(0.5) * (zk + zm), fo = -times_i(REAL(0.5) * (zk - zm));
    dst.v[base + k] = fe + cmul(wn(k, false), fo);
  }
  if (t == 0u && (pc.flags & 4u) != 0u) dst.v[base + MH] = CPLX(0);
  barrier();
}

// each product is transformed as soon as it is complete (fewer live registers)
void main() {
  uint row = gl_WorkGroupID.x, t = gl_LocalInvocationID.x;
  for (uint j = t; j < 64u; j += MH / 4u) twlo[j] = j < N ? pc.tw.v[j] : CPLX(0);
  for (uint j = t; j < HI; j += MH / 4u) twhi[j] = pc.tw.v[64u * j];
  barrier();
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u;
  CPLX a[4], b[4], nut[4], q[4], adv[4];
  if (sgs) {
    inverse_row(pc.i4, row, a);
    inverse_row(pc.i5, row, b);
    for (uint r = 0u; r < 4u; r++)
      nut[r] = pc.smag2 * CPLX(sqrt(a[r].x * a[r].x + b[r].x * b[r].x),
                               sqrt(a[r].y * a[r].y + b[r].y * b[r].y));
    if (lap) {
      inverse_row(pc.i6, row, a);
      for (uint r = 0u; r < 4u; r++) q[r] = nut[r] * a[r];
      forward_row(q, pc.o1, row);
    }
  }
  inverse_row(pc.i2, row, a); // wx
  if (sgs && !lap) {
    for (uint r = 0u; r < 4u; r++) q[r] = nut[r] * a[r];
    forward_row(q, pc.o1, row);
  }
  inverse_row(pc.i0, row, b); // u
  for (uint r = 0u; r < 4u; r++) adv[r] = b[r] * a[r];
  inverse_row(pc.i3, row, a); // wy
  if (sgs && !lap) {
    for (uint r = 0u; r < 4u; r++) q[r] = nut[r] * a[r];
    forward_row(q, pc.o2, row);
  }
  inverse_row(pc.i1, row, b); // v
  for (uint r = 0u; r < 4u; r++) adv[r] = -(adv[r] + b[r] * a[r]);
  forward_row(adv, pc.o0, row);
}

#version 460
// One step of the x passes of the fused nonlinear products on one rank (src/backend/vulkan/vk_rows.c,
// docs/vulkan.md "Own x passes"): forward length-L transforms along x of the columns ky < cols of
// the mixed layout [x][ky] (pitch N/2+1), in place. The length-N transform along x is made of two
// such steps (N = N1 N2, four-step): each workgroup takes C neighbouring columns and one group g of
// L rows, base g*gstride + p*pstride (p = 0..L-1), so that every row access is C contiguous
// values. TWIDDLE multiplies the result at p by W_N^(g p) (the twiddle between the two steps).
// DERIVE makes the fields from omega-hat first (the spectral ops of spec_derive, conjugated,
// Nyquist row zeroed): the first step of the sources then reads omega-hat once instead of
// spec_derive writing four fields that the transform reads back; one workgroup makes every field.
// Otherwise a workgroup transforms one field (more workgroups in flight: the two steps are bound
// by memory latency).
// Thread (c, j) holds the points j + i T (i = 0..7, T = L/8) of column c in registers; Stockham
// radix-8 stages (+ one radix-2 or -4 stage) exchange through shared memory as in rows_pair.comp.
#include "types.glsl"
#include "fft_math.glsl"
#include "spec_ops.glsl"

layout(constant_id = 0) const uint L = 64;  // transform length
layout(constant_id = 1) const uint L8 = 2;  // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;  // then one stage of radix 1 (none), 2 or 4
layout(constant_id = 3) const uint C = 32;  // columns per workgroup
layout(local_size_x_id = 4) in;             // C L/8 threads
layout(constant_id = 5) const uint N = 4096;
layout(constant_id = 6) const uint DERIVE = 0;
layout(constant_id = 7) const uint TWIDDLE = 0;

const uint T = L / 8u;
const uint PITCH = N / 2u + 1u;

layout(push_constant, std430) uniform PC {
  CBuf src;                    // flag 1: omega-hat
  CBuf f0, f1, f2, f3, f4, f5; // the fields, transformed in place (flag 1: written)
  CBuf tw;                     // exp(-2 pi i e/N), e = 0..N-1
  uint nf;                     // fields
  uint ops;                    // DERIVE: spec op of field f in bits 4f..4f+3
  uint gstride;                // rows between groups
  uint pstride;                // rows between the points of a group
  uint cols;                   // columns ky < cols
} pc;

shared REAL sre[C * L];
shared REAL sim[C * L];
shared CPLX twl[L];

CBuf field(uint f) {
  switch (f) {
  case 0u: return pc.f0;
  case 1u: return pc.f1;
  case 2u: return pc.f2;
  case 3u: return pc.f3;
  case 4u: return pc.f4;
  default: return pc.f5;
  }
}

#include "colfft.glsl"

void main() {
  uint t = gl_LocalInvocationID.x, c = t % C, j = t / C;
  uint ncg = (pc.cols + C - 1u) / C, id = gl_WorkGroupID.x;
  uint f0 = DERIVE != 0u ? 0u : gl_WorkGroupID.y, f1 = DERIVE != 0u ? pc.nf : f0 + 1u;
  uint g = id / ncg, col = (id % ncg) * C + c;
  for (uint e = t; e < L; e += C * T) twl[e] = pc.tw.v[e * (N / L)];
  bool live = col < pc.cols;
  uint row0 = g * pc.gstride + j * pc.pstride, rstep = T * pc.pstride;
  CPLX z[8];
  if (DERIVE != 0u)
    for (uint i = 0u; i < 8u; i++) z[i] = live ? pc.src.v[(row0 + i * rstep) * PITCH + col] : CPLX(0);
  for (uint f = f0; f < f1; f++) {
    CBuf b = field(f);
    CPLX v[8];
    for (uint i = 0u; i < 8u; i++) {
      uint row = row0 + i * rstep;
      if (DERIVE != 0u) {
        REAL kx = REAL(row <= N / 2u ? int(row) : int(row) - int(N)), ky = REAL(col);
        CPLX d = spec_op(pc.ops >> (4u * f), kx, ky, inv_k2(kx, ky), z[i]);
        v[i] = row == N / 2u ? CPLX(0) : conjc(d);
      } else {
        v[i] = live ? b.v[row * PITCH + col] : CPLX(0);
      }
    }
    fft(c, j, v); // twl is read after the first exchange's barriers

    if (!live) continue;
    for (uint i = 0u; i < 8u; i++) {
      uint row = row0 + i * rstep;
      // W_N^(g p) at this thread's outputs p = j + i T
      CPLX w = TWIDDLE != 0u ? pc.tw.v[(g * (j + i * T)) & (N - 1u)] : CPLX(0);
      b.v[row * PITCH + col] = TWIDDLE != 0u ? cmul(v[i], w) : v[i];
    }
  }
}

#version 460
// The x passes of the fused nonlinear products (one rank; src/backend/vulkan/vk_rows.c,
// docs/vulkan.md "Fused nonlinear products"): length-N complex transforms along x of whole
// columns ky of the 2D spectral layout ([x][ky], ky contiguous, pitch N/2+1), C columns per
// workgroup, each in one pass (fft8.glsl: 8 points per thread in registers, shared memory only
// between stages), instead of VkFFT's strided multi-pass kernels. Two modes:
//   mode 0, sources: the column ky of w is read once (only the rows |kx| <= band when band > 0:
//     backend.h fft_band_in says the others are zero), and for each output o the column
//     conj(op_o(kx, ky) w) (spec_ops.glsl, Nyquist modes zero) is transformed forward along x and
//     written whole: what spec_derive (conj = 1) and VkFFT's forward x pass give, in one kernel;
//   mode 1, products: each field o is transformed forward along x in place; with band > 0 only
//     the rows |kx| <= band are written (backend.h fft_band_out), else every row, the Nyquist row
//     kx = N/2 as zero.
// Only the columns ky < cols are touched. Thread l of a workgroup works on column l % C (the
// columns of a warp are neighbours in memory) at position t = l / C of its transform.
#include "types.glsl"

layout(constant_id = 0) const uint N = 64;
layout(constant_id = 1) const uint L8 = 2;   // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;   // then one stage of radix 1 (none), 2 or 4
layout(local_size_x_id = 3) in;              // C N/8 threads
layout(constant_id = 4) const uint HI = 1;   // max(N/64, 1)
layout(constant_id = 5) const uint NIM = 64; // N, or 1 with SPLIT
layout(constant_id = 6) const uint SPLIT = 0;
layout(constant_id = 7) const uint C = 1; // columns per workgroup (a power of two)
layout(constant_id = 8) const uint TWG = 0; // twiddles from device memory (fft8.glsl)

const uint T = N / 8u, P = N / 2u + 1u;

layout(push_constant, std430) uniform PC {
  CBuf w;                      // mode 0: the spectral input
  CBuf d0, d1, d2, d3, d4, d5; // mode 0: the outputs; mode 1: the fields (in place)
  CBuf tw;                     // exp(-2 pi i e/N), e = 0..N-1
  uint mode;
  uint ops;  // mode 0: 4 bits per output (spec_ops.glsl codes)
  uint n;    // outputs (mode 0) or fields (mode 1)
  uint cols; // columns ky < cols
  uint band; // see above (0: none)
} pc;

const uint FFT_COLS = C;
uint fft_thread() { return gl_LocalInvocationID.x / C; }
uint fft_col() { return gl_LocalInvocationID.x % C; }
CPLX fft_tw(uint e) { return pc.tw.v[e]; }
#include "fft8.glsl"
#include "spec_ops.glsl"

CBuf field(uint o) {
  switch (o) {
  case 0u: return pc.d0;
  case 1u: return pc.d1;
  case 2u: return pc.d2;
  case 3u: return pc.d3;
  case 4u: return pc.d4;
  default: return pc.d5;
  }
}

// kx of row j
int kx_of(uint j) { return j <= N / 2u ? int(j) : int(j) - int(N); }

void main() {
  uint t = fft_thread(), ky = gl_WorkGroupID.x * C + fft_col();
  bool live = ky < pc.cols; // every thread takes part in the exchanges
  fft_twiddles(pc.tw);
  CPLX v[8];
  if (pc.mode == 0u) {
    CPLX z[8];
    for (uint i = 0u; i < 8u; i++) {
      uint j = t + i * T;
      bool inb = live && (pc.band == 0u || uint(abs(kx_of(j))) <= pc.band);
      z[i] = inb ? pc.w.v[j * P + ky] : CPLX(0);
    }
    for (uint o = 0u; o < pc.n; o++) {
      uint op = (pc.ops >> (4u * o)) & 15u;
      for (uint i = 0u; i < 8u; i++) {
        uint j = t + i * T;
        bool nyq = j == N / 2u || ky == N / 2u;
        CPLX d = nyq ? CPLX(0) : spec_op(op, REAL(kx_of(j)), REAL(ky), z[i]);
        v[i] = CPLX(d.x, -d.y);
      }
      fft(v, false);
      CBuf dst = field(o);
      if (live)
        for (uint i = 0u; i < 8u; i++) dst.v[(t + i * T) * P + ky] = v[i];
    }
    return;
  }
  for (uint o = 0u; o < pc.n; o++) {
    CBuf f = field(o);
    for (uint i = 0u; i < 8u; i++) v[i] = live ? f.v[(t + i * T) * P + ky] : CPLX(0);
    fft(v, false);
    if (!live) continue;
    for (uint i = 0u; i < 8u; i++) {
      uint j = t + i * T;
      if (pc.band > 0u) {
        if (uint(abs(kx_of(j))) <= pc.band) f.v[j * P + ky] = v[i];
      } else {
        f.v[j * P + ky] = j == N / 2u ? CPLX(0) : v[i];
      }
    }
  }
}

#version 460
// One step of the proxy's ensemble rollout (SPEC §5, -proxy_backend vulkan): Zn = Z A in fp64,
// Z and Zn m x D row-major (one member per row), A D x D row-major (z_{t+1} = z_t A).
//
// Tiling: a workgroup of 256 threads computes a BM x BN = 64 x 64 tile of Zn; it walks k in
// steps of BK = 16 through shared memory (the Z tile stored transposed and padded, the A tile
// as is) and prefetches the next k-tile into registers while it computes on the current one.
// Thread (tx, ty) = (t % 16, t / 16) accumulates rows ty + 16u and columns tx + 16v
// (u, v = 0..3): 16 fused multiply-adds per 8 shared loads, conflict-free, and coalesced global
// stores. H200 (NVIDIA driver 580): 2.9e7 member-steps/s at m = 1024, D = 444 (11.5 TFLOP/s). Edge tiles (m, D not multiples of 64) load zeros and store nothing outside.
// One workgroup per tile, workgroup index g -> (row tile g / ntn, column tile g % ntn).
//
// Non-finite check (fused epilogue): a thread that stores a NaN or an infinity records the step
// and its lowest such row in flag: flag[0] = first step (1-based, counted by the host since the
// last upload) that produced a non-finite value, flag[1] = lowest row that did at that step.
// Steps are separated by memory barriers, so a step sees every earlier step's flag; within a
// step the atomics order the writers. Both words start at 0xffffffff.
//
// Double precision only (built as roll_gemm_f64; the pipeline is made on first use by
// vk_rollout.c, never by a single-precision backend).
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_control_flow_attributes : require

layout(local_size_x = 256) in;

#if !DASHI_F64
#error "roll_gemm is double precision only"
#endif
layout(buffer_reference, std430, buffer_reference_align = 8) readonly buffer DIn { double v[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) writeonly buffer DOut { double v[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) buffer Flag { uint v[]; };

layout(push_constant, std430) uniform PC {
  DIn z;     // m x D
  DIn a;     // D x D
  DOut zn;   // m x D
  Flag flag; // [2]
  uint m, d, ntn, step;
} pc;

#define BM 64u
#define BN 64u
#define BK 16u

shared double As[BK][BM + 1u]; // As[k][i] = Z[i0 + i][k0 + k] (padded: conflict-free stores)
shared double Bs[BK][BN];      // Bs[k][j] = A[k0 + k][j0 + j]

// the four outputs (i, j + 16 v) of one row of a thread; bad = lowest row with a NaN or an inf
void store_row(uint i, uint j, dvec4 r, inout uint bad) {
  if (i >= pc.m) return;
  const uint d = pc.d;
  bool nf = false;
  if (j < d) pc.zn.v[i * d + j] = r.x, nf = nf || isnan(r.x) || isinf(r.x);
  if (j + 16u < d) pc.zn.v[i * d + j + 16u] = r.y, nf = nf || isnan(r.y) || isinf(r.y);
  if (j + 32u < d) pc.zn.v[i * d + j + 32u] = r.z, nf = nf || isnan(r.z) || isinf(r.z);
  if (j + 48u < d) pc.zn.v[i * d + j + 48u] = r.w, nf = nf || isnan(r.w) || isinf(r.w);
  if (nf) bad = min(bad, i);
}

// Everything a thread keeps lives in named vector registers (no arrays: the NVIDIA driver put
// `double acc[4][4]` in local memory and ran 10x slower). Row u of the thread's outputs is
// accN (N = u), its four columns tx + 16 v the components.
#define LOAD_Z(q, k0) (zr##q < m && (k0) + zc##q < d ? pc.z.v[zr##q * d + (k0) + zc##q] : 0.0)
#define LOAD_A(q, k0) ((k0) + ar##q < d && ac##q < d ? pc.a.v[((k0) + ar##q) * d + ac##q] : 0.0)

void main() {
  const uint t = gl_LocalInvocationID.x, tx = t % 16u, ty = t / 16u;
  const uint g = gl_WorkGroupID.x;
  const uint i0 = (g / pc.ntn) * BM, j0 = (g % pc.ntn) * BN;
  const uint m = pc.m, d = pc.d;
  const bool live = i0 + ty < m; // else all four rows of this thread are beyond m (small m)
  dvec4 acc0 = dvec4(0.0), acc1 = dvec4(0.0), acc2 = dvec4(0.0), acc3 = dvec4(0.0);
  // load slots of this thread: element e = t + 256 q (q = 0..3) of each 1024-element tile
  //   Z tile [BM][BK]: row e / BK, column e % BK;  A tile [BK][BN]: row e / BN, column e % BN
  const uint e0 = t, e1 = t + 256u, e2 = t + 512u, e3 = t + 768u;
  const uint zr0 = i0 + e0 / BK, zr1 = i0 + e1 / BK, zr2 = i0 + e2 / BK, zr3 = i0 + e3 / BK;
  const uint zc0 = e0 % BK, zc1 = e1 % BK, zc2 = e2 % BK, zc3 = e3 % BK;
  const uint ar0 = e0 / BN, ar1 = e1 / BN, ar2 = e2 / BN, ar3 = e3 / BN;
  const uint ac0 = j0 + e0 % BN, ac1 = j0 + e1 % BN, ac2 = j0 + e2 % BN, ac3 = j0 + e3 % BN;
  const uint nk = (d + BK - 1u) / BK;
  dvec4 pz = dvec4(LOAD_Z(0, 0u), LOAD_Z(1, 0u), LOAD_Z(2, 0u), LOAD_Z(3, 0u));
  dvec4 pa = dvec4(LOAD_A(0, 0u), LOAD_A(1, 0u), LOAD_A(2, 0u), LOAD_A(3, 0u));
  for (uint kt = 0u; kt < nk; kt++) {
    As[zc0][e0 / BK] = pz.x, As[zc1][e1 / BK] = pz.y, As[zc2][e2 / BK] = pz.z;
    As[zc3][e3 / BK] = pz.w;
    Bs[ar0][e0 % BN] = pa.x, Bs[ar1][e1 % BN] = pa.y, Bs[ar2][e2 % BN] = pa.z;
    Bs[ar3][e3 % BN] = pa.w;
    barrier();
    if (kt + 1u < nk) { // prefetch the next k-tile while this one is multiplied
      uint k0 = (kt + 1u) * BK;
      pz = dvec4(LOAD_Z(0, k0), LOAD_Z(1, k0), LOAD_Z(2, k0), LOAD_Z(3, k0));
      pa = dvec4(LOAD_A(0, k0), LOAD_A(1, k0), LOAD_A(2, k0), LOAD_A(3, k0));
    }
    if (live) {
      [[unroll]] for (uint k = 0u; k < BK; k++) {
        dvec4 y = dvec4(Bs[k][tx], Bs[k][tx + 16u], Bs[k][tx + 32u], Bs[k][tx + 48u]);
        acc0 = fma(dvec4(As[k][ty]), y, acc0);
        acc1 = fma(dvec4(As[k][ty + 16u]), y, acc1);
        acc2 = fma(dvec4(As[k][ty + 32u]), y, acc2);
        acc3 = fma(dvec4(As[k][ty + 48u]), y, acc3);
      }
    }
    barrier();
  }
  uint bad = 0xffffffffu;
  store_row(i0 + ty, j0 + tx, acc0, bad);
  store_row(i0 + ty + 16u, j0 + tx, acc1, bad);
  store_row(i0 + ty + 32u, j0 + tx, acc2, bad);
  store_row(i0 + ty + 48u, j0 + tx, acc3, bad);
  if (bad != 0xffffffffu && pc.flag.v[0] >= pc.step) {
    atomicMin(pc.flag.v[0], pc.step);
    atomicMin(pc.flag.v[1], bad);
  }
}

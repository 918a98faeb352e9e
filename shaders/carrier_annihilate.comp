#version 460
// GPU decode, SPEC §6 step 4: sweep `it` of the synchronous annihilation (annihilate_sweep in
// src/proxy/carrier.c), batched over members (member = workgroup y): a supported cell whose
// opposite-sign 4-neighbours outnumber its same-sign ones is switched off. The coherence history
// lives in device memory: hist[j iters + i] = (cells switched off by sweep i) + 1, 0 = not run.
// Member j runs sweep it only if it ran sweep it-1 and that sweep switched off >= plateau cells
// (the per-member plateau stop, decided on the GPU: no host round trip between sweeps); a member
// that has stopped is left untouched, so its state stays in the buffer of its last sweep.
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 16) buffer IBuf { int v[]; };

layout(push_constant, std430) uniform PC {
  IBuf src, dst;  // [m][n n]
  UBuf hist;      // [m][iters]
  uint iters, it, plateau;
} pc;

shared uint red[WG];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y, base = j * RCOUNT;
  uint h0 = j * pc.iters + pc.it;
  // uniform per workgroup: the early return is taken by all of its invocations or none
  if (pc.it > 0u && pc.hist.v[h0 - 1u] < pc.plateau + 1u) return;
  uint c = 0u;
  for (uint k = gl_WorkGroupID.x * WG + t; k < RCOUNT; k += gl_NumWorkGroups.x * WG) {
    int v = pc.src.v[base + k], o = v;
    if (v != 0) {
      uint x = k / N, y = k - x * N;
      int nb[4] = int[4](pc.src.v[base + ((x + N - 1u) % N) * N + y],
                         pc.src.v[base + ((x + 1u) % N) * N + y],
                         pc.src.v[base + x * N + (y + N - 1u) % N],
                         pc.src.v[base + x * N + (y + 1u) % N]);
      int same = 0, opp = 0;
      for (int q = 0; q < 4; q++) {
        same += nb[q] == v ? 1 : 0;
        opp += nb[q] == -v ? 1 : 0;
      }
      if (opp > same) {
        o = 0;
        c++;
      }
    }
    pc.dst.v[base + k] = o;
  }
  red[t] = c;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h) red[t] += red[t + h];
    barrier();
  }
  // workgroup 0 also adds the "sweep ran" mark
  uint add = red[0] + (gl_WorkGroupID.x == 0u ? 1u : 0u);
  if (t == 0u && add != 0u) atomicAdd(pc.hist.v[h0], add);
}

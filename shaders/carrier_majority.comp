#version 460
// GPU decode, SPEC §6 step 3 (dashi_carrier_majority), batched over members: every supported
// cell takes the sign of the sum over its periodic 3x3 neighbourhood (itself included); a zero
// sum projects to 0; unsupported cells stay 0. Index [x][y] = x n + y. Count -> cnt[j CS + cidx].
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 16) buffer IBuf { int v[]; };

layout(push_constant, std430) uniform PC {
  IBuf src, dst;  // [m][n n]
  UBuf cnt;
  uint cs, cidx;
} pc;

shared uint red[WG];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y, base = j * RCOUNT;
  uint c = 0u;
  for (uint k = gl_WorkGroupID.x * WG + t; k < RCOUNT; k += gl_NumWorkGroups.x * WG) {
    int v = pc.src.v[base + k], o = 0;
    if (v != 0) {
      uint x = k / N, y = k - x * N;
      uint xs[3] = uint[3]((x + N - 1u) % N, x, (x + 1u) % N);
      uint ys[3] = uint[3]((y + N - 1u) % N, y, (y + 1u) % N);
      int sum = 0;
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) sum += pc.src.v[base + xs[a] * N + ys[b]];
      o = sum > 0 ? 1 : sum < 0 ? -1 : 0;
    }
    pc.dst.v[base + k] = o;
    c += o != 0 ? 1u : 0u;
  }
  red[t] = c;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h) red[t] += red[t + h];
    barrier();
  }
  if (t == 0u && red[0] != 0u) atomicAdd(pc.cnt.v[j * pc.cs + pc.cidx], red[0]);
}

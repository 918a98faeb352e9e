#version 460
// Shell energy spectrum: workgroup s sums 1/2 weight(ky) |w|^2/|k|^2 over this rank's modes with
// s - 1/2 <= |k| < s + 1/2 (decided in exact integer arithmetic: (2s-1)^2 <= 4|k|^2 < (2s+1)^2),
// deterministic, with no partial arrays. dst[s] for s = 0..N/2.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  CBuf w;
  ABuf dst;
} pc;

shared ACC red[WG];

// smallest k >= 0 with 4 k^2 >= t
int ceil_half_sqrt(int t) {
  if (t <= 0) return 0;
  int k = int(sqrt(float(t)) * 0.5);
  while (k > 0 && 4 * (k - 1) * (k - 1) >= t) k--;
  while (4 * k * k < t) k++;
  return k;
}

// largest k >= 0 with 4 k^2 < t (t > 0)
int floor_half_sqrt_below(int t) {
  int k = int(sqrt(float(t)) * 0.5);
  while (k > 0 && 4 * k * k >= t) k--;
  while (4 * (k + 1) * (k + 1) < t) k++;
  return k;
}

void main() {
  int s = int(gl_WorkGroupID.x), h = int(N / 2u);
  int lo4 = (2 * s - 1) * (2 * s - 1), hi4 = (2 * s + 1) * (2 * s + 1);
  int kya = int(KY0), kyb = int(KY0 + NKY) - 1;
  ACC sum = ACC(0);
  if (s > 0) {
    for (int kx = -(s + 1) + int(gl_LocalInvocationID.x); kx <= s + 1; kx += int(WG)) {
      if (kx > h || kx <= -h) continue;
      int u = hi4 - 4 * kx * kx;
      if (u <= 0) continue;
      int ky_lo = max(ceil_half_sqrt(lo4 - 4 * kx * kx), kya);
      int ky_hi = min(floor_half_sqrt_below(u), kyb);
      for (int ky = ky_lo; ky <= ky_hi; ky++) {
        int k2 = kx * kx + ky * ky;
        if (4 * k2 < lo4 || 4 * k2 >= hi4 || k2 == 0) continue;
        CPLX a = pc.w.v[index_of(kx, ky)];
        ACC wt = ky == 0 ? ACC(1) : ACC(2);
        sum += ACC(0.5) * wt * (ACC(a.x) * ACC(a.x) + ACC(a.y) * ACC(a.y)) / ACC(k2);
      }
    }
  }
  uint t = gl_LocalInvocationID.x;
  red[t] = sum;
  barrier();
  for (uint q = WG / 2u; q > 0u; q >>= 1) {
    if (t < q) red[t] += red[t + q];
    barrier();
  }
  if (t == 0u) pc.dst.v[s] = red[0];
}

#version 460
// GPU decode: the exact 95th percentile of life over the alive cells of every member (the
// smallest L with at least ceil(0.95 alive) alive cells at or below L, as dashi_fining_update),
// by a two-level radix select on the 16-bit life, with no host read-back of the field:
// op 0 (one workgroup per member): find the high byte B from the histogram of life >> 8;
// op 1 (workgroups (g, member)): histogram of life & 255 over the alive cells with life >> 8 = B;
// op 2 (one workgroup per member): the low byte, p95 = 256 B + b.
#include "common.glsl"

layout(push_constant, std430) uniform PC {
  UBuf fin;  // [m][n n] fining state (bit 25: alive in this decode)
  UBuf cnt;  // [m][CS]
  UBuf hhi;  // [m][256]
  UBuf hlo;  // [m][256]
  uint cs, op;
} pc;

// counter slots (vk_carrier.c)
#define C_ALIVE 3u
#define C_SEL 8u
#define C_ACC 9u
#define C_NEED 10u
#define C_P95 11u

shared uint hh[256];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y, cb = j * pc.cs;
  if (pc.op == 0u) {
    if (t != 0u) return;
    uint alive = pc.cnt.v[cb + C_ALIVE];
    pc.cnt.v[cb + C_SEL] = 0xffffffffu;
    pc.cnt.v[cb + C_P95] = 0u;
    if (alive == 0u) return;
    uint need = uint(ceil(0.95lf * double(alive))), acc = 0u;
    for (uint b = 0u; b < 256u; b++) {
      uint h = pc.hhi.v[j * 256u + b];
      if (acc + h >= need) {
        pc.cnt.v[cb + C_SEL] = b;
        pc.cnt.v[cb + C_ACC] = acc;
        pc.cnt.v[cb + C_NEED] = need;
        return;
      }
      acc += h;
    }
  } else if (pc.op == 1u) {
    uint sel = pc.cnt.v[cb + C_SEL];
    if (sel == 0xffffffffu) return;  // uniform per workgroup
    hh[t] = 0u;
    barrier();
    for (uint k = gl_WorkGroupID.x * WG + t; k < RCOUNT; k += gl_NumWorkGroups.x * WG) {
      uint f = pc.fin.v[j * RCOUNT + k], life = f & 0xffffu;
      if (((f >> 25) & 1u) != 0u && (life >> 8) == sel) atomicAdd(hh[life & 255u], 1u);
    }
    barrier();
    if (hh[t] != 0u) atomicAdd(pc.hlo.v[j * 256u + t], hh[t]);
  } else {
    if (t != 0u) return;
    uint sel = pc.cnt.v[cb + C_SEL];
    if (sel == 0xffffffffu) return;
    uint acc = pc.cnt.v[cb + C_ACC], need = pc.cnt.v[cb + C_NEED];
    for (uint b = 0u; b < 256u; b++) {
      acc += pc.hlo.v[j * 256u + b];
      if (acc >= need) {
        pc.cnt.v[cb + C_P95] = sel * 256u + b;
        return;
      }
    }
  }
}

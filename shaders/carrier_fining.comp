#version 460
// GPU decode, SPEC §6 step 5 (dashi_fining_update), batched over members, 4 cells per invocation.
// Per-cell fining state, persistent across decodes: fin = life (bits 0-15, saturating at 65535)
// | cool (bits 16-23) | killed (bit 24) | alive in this decode (bit 25). The carrier after the
// annihilation is in s1 or s2 by the parity of the sweeps member j ran (read from the history).
// Killed cells are forced off; alive: life += 1, cool = cool_max; not alive: cool -= 1 if
// cool > 0, else life -= decay (floored at 0) and a cell whose life reaches 0 this way is killed.
// Counters of member j: after_annihilation, alive, killed_now, sum of life (64 bits as lo/hi),
// and the histogram of life >> 8 over the alive cells (for the exact p95, carrier_p95.comp).
// The fined carrier goes to the host-visible output as int8 bytes (4 per uint, little-endian) and
// omega_lp of the same cells is copied there too (the host adds the residual g s, bit-identical to
// the CPU's arithmetic).
#extension GL_EXT_buffer_reference_uvec2 : require
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 8) buffer AddrBuf { uvec2 v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer IBuf { int v[]; };

layout(push_constant, std430) uniform PC {
  IBuf s1, s2;   // [m][n n]
  UBuf fin;      // [m][n n]
  UBuf cnt;      // [m][CS]
  UBuf hist;     // [m][iters] annihilation history (+1 encoded)
  UBuf hhi;      // [m][256]
  UBuf outc;     // host: [m][n n / 4] packed carrier
  AddrBuf real;  // omega_lp of member j
  RBuf outw;     // host: [m][n n] omega_lp
  uint iters, cs, cool_max, decay;
} pc;

// counter slots (vk_carrier.c: C_ANNIH .. C_SUMHI)
#define C_ANNIH 2u
#define C_ALIVE 3u
#define C_KILLED 4u
#define C_SUMLO 5u
#define C_SUMHI 6u

shared uint rc[WG * 4u];
shared uint hh[256];

void main() {
  uint t = gl_LocalInvocationID.x, j = gl_WorkGroupID.y, base = j * RCOUNT;
  uint done = 0u;
  for (uint i = 0u; i < pc.iters; i++) done += pc.hist.v[j * pc.iters + i] != 0u ? 1u : 0u;
  IBuf src = (done & 1u) == 0u ? pc.s1 : pc.s2;
  RBuf w = RBuf(pc.real.v[j]);
  hh[t] = 0u;
  barrier();
  uint nz = 0u, alive = 0u, killed = 0u, sum = 0u;
  uint quads = RCOUNT / 4u;
  for (uint q = gl_WorkGroupID.x * WG + t; q < quads; q += gl_NumWorkGroups.x * WG) {
    uint packed = 0u;
    for (uint e = 0u; e < 4u; e++) {
      uint k = 4u * q + e;
      int v = src.v[base + k];
      nz += v != 0 ? 1u : 0u;
      uint f = pc.fin.v[base + k];
      uint life = f & 0xffffu, cool = (f >> 16) & 0xffu, kil = (f >> 24) & 1u, now = 0u;
      if (kil != 0u) v = 0;
      if (v != 0) {
        if (life < 65535u) life++;
        cool = pc.cool_max;
        alive++;
        sum += life;
        now = 1u;
        atomicAdd(hh[life >> 8], 1u);
      } else if (cool > 0u) {
        cool--;
      } else if (life > 0u) {
        life = life > pc.decay ? life - pc.decay : 0u;
        if (life == 0u) {
          kil = 1u;
          killed++;
        }
      }
      pc.fin.v[base + k] = life | (cool << 16) | (kil << 24) | (now << 25);
      packed |= (uint(v) & 0xffu) << (8u * e);
      pc.outw.v[base + k] = w.v[k];
    }
    pc.outc.v[j * quads + q] = packed;
  }
  rc[4u * t] = nz;
  rc[4u * t + 1u] = alive;
  rc[4u * t + 2u] = killed;
  rc[4u * t + 3u] = sum;
  barrier();
  for (uint h = WG / 2u; h > 0u; h >>= 1) {
    if (t < h)
      for (uint e = 0u; e < 4u; e++) rc[4u * t + e] += rc[4u * (t + h) + e];
    barrier();
  }
  uint cb = j * pc.cs;
  if (t == 0u) {
    if (rc[0] != 0u) atomicAdd(pc.cnt.v[cb + C_ANNIH], rc[0]);
    if (rc[1] != 0u) atomicAdd(pc.cnt.v[cb + C_ALIVE], rc[1]);
    if (rc[2] != 0u) atomicAdd(pc.cnt.v[cb + C_KILLED], rc[2]);
    uint s = rc[3];
    if (s != 0u) {
      uint old = atomicAdd(pc.cnt.v[cb + C_SUMLO], s);
      if (old + s < old) atomicAdd(pc.cnt.v[cb + C_SUMHI], 1u);
    }
  }
  if (hh[t] != 0u) atomicAdd(pc.hhi.v[j * 256u + t], hh[t]);
}

#version 460
// The row pass of the fused nonlinear products through memory, step B of three (rows_a.comp has
// the decomposition): for each chunk c of a row's scratch (Q values at c Q + b), the length-Q
// inverse transforms over b give the fields at the physical points y = c + P d (d = 0..Q-1); the
// pointwise products of rows_pair.comp follow in registers, and the length-Q forward transforms
// over d of each real product, Z[c][f] = sum_d p[c + P d] W_Q^(d f), are written for f <= Q/2
// (the rest is conj Z[c][Q - f]) at c (Q/2+1) + f of a scratch row: q1 over group 0, q2 over 1,
// adv over 2, the lap form's q over 3 - in place: a chunk's outputs end before the next chunk's
// inputs begin, and every thread has read its chunk's inputs before a barrier that precedes the
// writes. q1 and q2 share a transform (p + i q), split as Z_p[f] = (Z[f] + conj Z[Q-f])/2. One
// workgroup per row, CB chunks at a time (Q/8 threads each): the row's reductions of a
// diagnostics record (rows_reduce.glsl) are folded over the whole row.
#include "types.glsl"
#include "fft_math.glsl"

layout(constant_id = 0) const uint L = 64;  // Q
layout(constant_id = 1) const uint L8 = 2;  // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;  // then one stage of radix 1 (none), 2 or 4
layout(constant_id = 3) const uint C = 32;  // CB, chunks per workgroup at a time (divides P)
layout(local_size_x_id = 4) in;             // C L/8 threads (a power of two)
layout(constant_id = 5) const uint N = 4096;

const uint T = L / 8u;
const uint P = N / L;
const uint LP = L + L / 8u;  // a chunk's slots, one padding slot after every 8 values
const uint H = L / 2u + 1u; // stored outputs per chunk

layout(push_constant, std430) uniform PC {
  CBuf s0, s1, s2, s3; // the scratch rows (row pitch N)
  CBuf tw;             // exp(-2 pi i e/N), e = 0..N-1
  ABuf part;           // flag 32: the row's reductions
  REAL smag2;          // (Cs Delta)^2 * 2
  uint flags;          // rows_pair.comp's: 1 SGS, 2 lap form, 32 reduce
  uint row0;           // this dispatch's rows are row0 + gl_WorkGroupID.x (their partials' index)
  uint rows;           // of the rows (R) in the partials
} pc;

shared REAL sre[C * LP];
shared REAL sim[C * LP];
shared CPLX twl[L];

#define COLFFT_SLOT(c, i) ((c) * LP + (i) + ((i) >> 3))
#include "colfft.glsl"

void put(uint i, REAL x) { sre[i] = x; }
REAL get(uint i) { return sre[i]; }
#define REDUCE_ROWS pc.rows
#include "rows_reduce.glsl"

// this thread's inputs of a chunk: v[i] = conj s[at + j + i T] (read for all groups at the start
// of a round, so that their loads are in flight together)
void load_chunk(CBuf s, uint at, uint j, out CPLX v[8]) {
  for (uint i = 0u; i < 8u; i++) v[i] = conjc(s.v[at + j + i * T]);
}

// the inverse length-Q transform of chunk slot cc from its loaded inputs x (its b = j + i T; the
// conjugate of the forward transform of the conjugate)
void inverse_chunk(CPLX x[8], uint cc, uint j, out CPLX v[8]) {
  v = x;
  fft(cc, j, v);
  for (uint i = 0u; i < 8u; i++) v[i] = conjc(v[i]);
}

// the forward transform of p = Re v (pair: and q = Im v) written at f <= Q/2 of dp (and dq) at
// `at`: thread j holds f = j + i T, i <= 4
void forward_chunk(CPLX v[8], bool pair, CBuf dp, CBuf dq, uint at, uint cc, uint j) {
  fft(cc, j, v);
  CPLX zm[8]; // Z[Q - f]
  uint o[8], rd[8];
  for (uint i = 0u; i < 8u; i++) o[i] = j + i * T, rd[i] = (L - j - i * T) & (L - 1u);
  if (pair) {
    for (uint i = 0u; i < 8u; i++) zm[i] = v[i];
    exchange(cc, zm, o, rd);
  }
  barrier(); // every thread has read its inputs (step B writes in place)
  for (uint i = 0u; i < 5u; i++) {
    uint f = j + i * T;
    if (f >= H) continue;
    if (!pair) {
      dp.v[at + f] = v[i];
      continue;
    }
    CPLX c = conjc(zm[i]), d = v[i] - c;
    dp.v[at + f] = REAL(0.5) * (v[i] + c);
    dq.v[at + f] = REAL(0.5) * CPLX(d.y, -d.x);
  }
}

void main() {
  uint t = gl_LocalInvocationID.x, cc = t / T, j = t % T, row = gl_WorkGroupID.x;
  for (uint e = t; e < L; e += C * T) twl[e] = pc.tw.v[e * (N / L)];
  bool sgs = (pc.flags & 1u) != 0u, lap = (pc.flags & 2u) != 0u, red = (pc.flags & 32u) != 0u;
  REAL m[4] = REAL[4](REAL(0), REAL(0), REAL(0), REAL(0));
  ACC snut = ACC(0);
  CBuf s0 = cbuf_offset(pc.s0, row * N), s1 = cbuf_offset(pc.s1, row * N);
  CBuf s2 = cbuf_offset(pc.s2, row * N), s3 = cbuf_offset(pc.s3, row * N);
  for (uint it = 0u; it < P / C; it++) {
    uint ch = it * C + cc, in_at = ch * L, out_at = ch * H;
    CPLX v[8], x0[8], x1[8], x2[8], x3[8];
    REAL nut[8], ax[8], ay[8];
    if (sgs) load_chunk(s0, in_at, j, x0);
    load_chunk(s1, in_at, j, x1);
    load_chunk(s2, in_at, j, x2);
    if (sgs && lap) load_chunk(s3, in_at, j, x3);
    if (sgs) {
      inverse_chunk(x0, cc, j, v);
      for (uint i = 0u; i < 8u; i++) {
        nut[i] = pc.smag2 * sqrt(v[i].x * v[i].x + v[i].y * v[i].y);
        snut += ACC(nut[i]);
      }
    }
    inverse_chunk(x1, cc, j, v);
    for (uint i = 0u; i < 8u; i++) ax[i] = v[i].x, ay[i] = v[i].y;
    if (sgs && !lap) {
      for (uint i = 0u; i < 8u; i++) v[i] = nut[i] * v[i]; // q1, q2
      forward_chunk(v, true, s0, s1, out_at, cc, j);
    }
    inverse_chunk(x2, cc, j, v);
    if (red) max_uv(v, m);
    for (uint i = 0u; i < 8u; i++) v[i] = CPLX(-(v[i].x * ax[i] + v[i].y * ay[i]), REAL(0));
    forward_chunk(v, false, s2, s2, out_at, cc, j);
    if (sgs && lap) {
      inverse_chunk(x3, cc, j, v);
      for (uint i = 0u; i < 8u; i++) v[i] = CPLX(nut[i] * v[i].x, REAL(0));
      forward_chunk(v, false, s3, s3, out_at, cc, j);
    }
  }
  if (!red) return;
  reduce_max4(m, t, C * T, pc.row0 + row);
  reduce_sum(snut, t, C * T, pc.row0 + row);
}

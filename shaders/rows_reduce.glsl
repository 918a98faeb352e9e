// A diagnostics record's reductions in the fused products' row pass (backend.h
// dashi_sgs_params.diag; rows_pair.comp, rows_b.comp): the row's max|u|, max|v| (each with a flag
// for values that are not finite, as red_maxabs.comp) and sum of nu_t as partials of
// red_final.comp: part[2 row + (0, 1)], part[2 (R + row) + (0, 1)], part[4 R + row] (R rows, the
// workgroups along x). Each is folded over the workgroup's W threads (a power of two) through
// shared memory by a fixed-order tree (deterministic). The includer defines put(i, x) and get(i)
// over at least 4W reals and the push constant part, and REDUCE_ROWS where R is not the number of
// workgroups along x (rows_b.comp: the row pass's rows in blocks).
#ifndef REDUCE_ROWS
#define REDUCE_ROWS gl_NumWorkGroups.x
#endif

// this thread's max|u|, bad u, max|v|, bad v in m, updated with v[i] = (u, v)
void max_uv(CPLX v[8], inout REAL m[4]) {
  for (uint i = 0u; i < 8u; i++)
    for (uint j = 0u; j < 2u; j++) {
      REAL x = j == 0u ? v[i].x : v[i].y;
      if (isnan(x) || isinf(x)) m[2u * j + 1u] = REAL(1);
      else m[2u * j] = max(m[2u * j], abs(x));
    }
}

// the workgroup's m (max_uv) into the row's partials
void reduce_max4(REAL m[4], uint t, uint W, uint row) {
  uint R = REDUCE_ROWS;
  barrier(); // the last exchange's reads are done
  for (uint j = 0u; j < 4u; j++) put(j * W + t, m[j]);
  barrier();
  for (uint h = W / 2u; h > 0u; h >>= 1) {
    if (t < h)
      for (uint j = 0u; j < 4u; j++) put(j * W + t, max(get(j * W + t), get(j * W + t + h)));
    barrier();
  }
  if (t == 0u) {
    pc.part.v[2u * row] = ACC(get(0u)), pc.part.v[2u * row + 1u] = ACC(get(W));
    pc.part.v[2u * (R + row)] = ACC(get(2u * W));
    pc.part.v[2u * (R + row) + 1u] = ACC(get(3u * W));
  }
  // the next exchange starts with a barrier
}

// max|u|, max|v| of the row from v[i] = (u, v) (the whole row in the workgroup's registers)
void reduce_uv(CPLX v[8], uint t, uint W, uint row) {
  REAL m[4] = REAL[4](REAL(0), REAL(0), REAL(0), REAL(0));
  max_uv(v, m);
  reduce_max4(m, t, W, row);
}

// the workgroup's sums s of nu_t into the row's partial (in ACC; it travels as hi + lo)
void reduce_sum(ACC s, uint t, uint W, uint row) {
  uint R = REDUCE_ROWS;
  REAL hi = REAL(s);
  barrier();
  put(t, hi), put(W + t, REAL(s - ACC(hi)));
  barrier();
  for (uint h = W / 2u; h > 0u; h >>= 1) {
    if (t < h) {
      ACC a = (ACC(get(t)) + ACC(get(W + t))) + (ACC(get(t + h)) + ACC(get(W + t + h)));
      REAL ah = REAL(a);
      put(t, ah), put(W + t, REAL(a - ACC(ah)));
    }
    barrier();
  }
  if (t == 0u) pc.part.v[4u * R + row] = ACC(get(0u)) + ACC(get(W));
}

// sum of nu_t over the row from nut[i] (the whole row in the workgroup's registers)
void reduce_nut(REAL nut[8], uint t, uint W, uint row) {
  ACC s = ACC(0);
  for (uint i = 0u; i < 8u; i++) s += ACC(nut[i]);
  reduce_sum(s, t, W, row);
}

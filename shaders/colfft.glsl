// The forward column transform of xfft.comp, rows_a.comp and rows_c.comp: C columns per workgroup,
// length L along each (at any stride in memory), thread (c, j) holding the points j + i T
// (i = 0..7, T = L/8) of column c in registers; Stockham radix-8 stages (+ one radix-2 or -4 stage)
// exchange through shared memory as in rows_pair.comp. The includer declares L, L8, R2, C, T, the
// shared rows sre, sim (C L reals each, slot i of column c at i C + c) and the table
// twl[e] = W_L^e, and includes types.glsl and fft_math.glsl first. COLFFT_SLOT(c, i) may place the
// slots otherwise (rows_b.comp: each column's L values together, padded).
#ifndef COLFFT_SLOT
#define COLFFT_SLOT(c, i) ((i) * C + (c))
#endif

// v[i] -> slot o[i] of this column; then v[i] <- slot rd[i]
void exchange(uint c, inout CPLX v[8], uint o[8], uint rd[8]) {
  barrier();
  for (uint i = 0u; i < 8u; i++) {
    uint a = COLFFT_SLOT(c, o[i]);
    sre[a] = v[i].x, sim[a] = v[i].y;
  }
  barrier();
  for (uint i = 0u; i < 8u; i++) {
    uint a = COLFFT_SLOT(c, rd[i]);
    v[i] = CPLX(sre[a], sim[a]);
  }
}

// forward length-L transform; thread j holds x[j + i T] in v[i] and returns X[j + i T]
void fft(uint c, uint j, inout CPLX v[8]) {
  uint ns = 1u;
  for (uint s = 0u; s < L8; s++) {
    uint k = j & (ns - 1u);
    if (ns > 1u) { // input r times W_(8 ns)^(r k) = W_L^(r e)
      uint e = k * (T / ns);
      CPLX w1 = twl[e], w2 = twl[2u * e], w4 = twl[4u * e], w3 = cmul(w1, w2);
      v[1] = cmul(v[1], w1);
      v[2] = cmul(v[2], w2);
      v[3] = cmul(v[3], w3);
      v[4] = cmul(v[4], w4);
      v[5] = cmul(v[5], cmul(w1, w4));
      v[6] = cmul(v[6], cmul(w2, w4));
      v[7] = cmul(v[7], cmul(w3, w4));
    }
    dft8(v, false);
    if (s + 1u < L8 || R2 > 1u) {
      uint o[8], rd[8];
      for (uint r = 0u; r < 8u; r++) o[r] = (j - k) * 8u + k + r * ns, rd[r] = j + r * T;
      exchange(c, v, o, rd);
    }
    ns *= 8u;
  }
  if (R2 == 2u) {
    for (uint m = 0u; m < 4u; m++) {
      CPLX a = v[m], b = cmul(v[m + 4u], twl[j + m * T]);
      v[m] = a + b;
      v[m + 4u] = a - b;
    }
  } else if (R2 == 4u) {
    for (uint m = 0u; m < 2u; m++) {
      uint q = j + m * T;
      CPLX x0 = v[m], x1 = cmul(v[m + 2u], twl[q]), x2 = cmul(v[m + 4u], twl[2u * q]),
           x3 = cmul(v[m + 6u], twl[3u * q]);
      dft4(x0, x1, x2, x3, false);
      v[m] = x0, v[m + 2u] = x1, v[m + 4u] = x2, v[m + 6u] = x3;
    }
  }
}

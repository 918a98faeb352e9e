// The transform machinery of the own x passes (xfft.comp, xfft_tend.comp; vk_rows.c "own x
// passes"): the layout as specialization constants, the column exchanges through shared memory and
// the radix-8 Stockham transform of length L over C columns. Needs types.glsl and fft_math.glsl.
layout(constant_id = 0) const uint L = 64;  // transform length
layout(constant_id = 1) const uint L8 = 2;  // radix-8 stages
layout(constant_id = 2) const uint R2 = 1;  // then one stage of radix 1 (none), 2 or 4
layout(constant_id = 3) const uint C = 32;  // columns per workgroup
layout(local_size_x_id = 4) in;             // C L/8 threads
layout(constant_id = 5) const uint N = 4096;
layout(constant_id = 6) const uint DERIVE = 0;
layout(constant_id = 7) const uint TWIDDLE = 0;

const uint T = L / 8u;
const uint PITCH = N / 2u + 1u;

shared REAL sre[C * L];
shared REAL sim[C * L];
shared CPLX twl[L];

// the L-table W_L^e, e < L (the N-table's every (N/L)-th entry), before the first exchange
void load_twiddles(CBuf tw) {
  for (uint e = gl_LocalInvocationID.x; e < L; e += C * T) twl[e] = tw.v[e * (N / L)];
}

// v[i] -> slot o[i] of this column; then v[i] <- slot rd[i]
void exchange(uint c, inout CPLX v[8], uint o[8], uint rd[8]) {
  barrier();
  for (uint i = 0u; i < 8u; i++) sre[o[i] * C + c] = v[i].x, sim[o[i] * C + c] = v[i].y;
  barrier();
  for (uint i = 0u; i < 8u; i++) v[i] = CPLX(sre[rd[i] * C + c], sim[rd[i] * C + c]);
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


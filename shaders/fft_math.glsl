// Complex helpers and the radix-4/8 butterflies shared by the in-shader transforms (rows_pair.comp,
// xfft.comp). Needs types.glsl.
#if DASHI_F64
#define SQRT1_2 0.70710678118654752440LF
#else
#define SQRT1_2 0.70710678118654752440
#endif

CPLX cmul(CPLX a, CPLX b) { return CPLX(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
CPLX conjc(CPLX a) { return CPLX(a.x, -a.y); }
CPLX times_i(CPLX a) { return CPLX(-a.y, a.x); }
void dft4(inout CPLX x0, inout CPLX x1, inout CPLX x2, inout CPLX x3, bool inv) {
  CPLX a0 = x0 + x2, a1 = x0 - x2, a2 = x1 + x3, d = x1 - x3;
  CPLX a3 = inv ? times_i(d) : -times_i(d);
  x0 = a0 + a2;
  x1 = a1 + a3;
  x2 = a0 - a2;
  x3 = a1 - a3;
}

// X[m] = sum_r v[r] W_8^(r m) (inv: conjugate twiddles), in place
void dft8(inout CPLX v[8], bool inv) {
  CPLX a0 = v[0] + v[4], a1 = v[1] + v[5], a2 = v[2] + v[6], a3 = v[3] + v[7];
  CPLX b0 = v[0] - v[4], b1 = v[1] - v[5], b2 = v[2] - v[6], b3 = v[3] - v[7];
  // b_r W_8^r: W_8 = (1 - i)/sqrt 2, W_8^2 = -i, W_8^3 = -i W_8 (inv: conjugates)
  REAL h = REAL(SQRT1_2);
  b1 = inv ? h * CPLX(b1.x - b1.y, b1.x + b1.y) : h * CPLX(b1.x + b1.y, b1.y - b1.x);
  b2 = inv ? times_i(b2) : -times_i(b2);
  b3 = inv ? h * CPLX(b3.x - b3.y, b3.x + b3.y) : h * CPLX(b3.x + b3.y, b3.y - b3.x);
  b3 = inv ? times_i(b3) : -times_i(b3);
  dft4(a0, a1, a2, a3, inv);
  dft4(b0, b1, b2, b3, inv);
  v[0] = a0, v[2] = a1, v[4] = a2, v[6] = a3;
  v[1] = b0, v[3] = b1, v[5] = b2, v[7] = b3;
}


// A spectral mode (kx, ky), its Nyquist test and the dealiasing multiplier: shared by common.glsl's
// kernels and xfft_tend.comp. Needs types.glsl and a constant N (the grid size) declared first.
struct Mode {
  int kx, ky;
};

bool is_nyquist(Mode k) {
  int h = int(N / 2u);
  return k.kx == h || k.kx == -h || k.ky == h;
}

// Dealiasing multiplier (SPEC §2): kind 0 none, 1 two-thirds, 2 exp (host-computed table, so
// that the value is the one of dashi_dealias_factor bit for bit). 0 on Nyquist modes.
REAL dealias_factor(Mode k, uint kind, RBuf table, uint m) {
  if (is_nyquist(k)) return REAL(0);
  if (kind == 0u) return REAL(1);
  if (kind == 1u) return (3 * abs(k.kx) > int(N) || 3 * abs(k.ky) > int(N)) ? REAL(0) : REAL(1);
  return table.v[m];
}

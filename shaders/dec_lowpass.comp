#version 460
// GPU decode (src/backend/vulkan/vk_carrier.c), step 1 of SPEC §6: scatter the proxy modes of
// every member into its spectral field (VkFFT's native layout [kx column][ky], one rank) exactly
// as put_mode in src/proxy/decode.c does: c = (re, im) * n^2 at (kx, ky) and, on the ky = 0 row,
// the conjugate at -kx. Everything else in the fields stays zero (the inverse transform keeps its
// input). modes[q] = (z index of Re, z index of Im, spectral index, conjugate index or ~0u).
// Double precision only (the decoder runs on a double-precision backend).
#extension GL_EXT_buffer_reference_uvec2 : require
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 8) buffer AddrBuf { uvec2 v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer U4Buf { uvec4 v[]; };

layout(push_constant, std430) uniform PC {
  U4Buf modes;
  RBuf z;        // [m][D]
  AddrBuf spec;  // spectral field of member j
  uint nmodes, D, total;
} pc;

void main() {
  const double s = double(N) * double(N);
  for (uint i = first_index(); i < pc.total; i += index_stride()) {
    uint j = i / pc.nmodes, q = i - j * pc.nmodes;
    uvec4 md = pc.modes.v[q];
    double re = pc.z.v[j * pc.D + md.x], im = pc.z.v[j * pc.D + md.y];
    CBuf f = CBuf(pc.spec.v[j]);
    f.v[md.z] = dvec2(re * s, im * s);
    if (md.w != 0xffffffffu) f.v[md.w] = dvec2(re * s, -im * s);
  }
}

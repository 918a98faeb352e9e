#version 460
// dst[i] = src[i] for `count` 16-byte words (vk_fields.c vk_copy_words): the device-to-device
// copies of the distributed transforms (vk_fft.c) as a compute pass instead of vkCmdCopyBuffer.
// Bit-exact (no arithmetic); both addresses 16-byte aligned.
#include "common.glsl"

layout(buffer_reference, std430, buffer_reference_align = 16) buffer WBuf { uvec4 v[]; };

layout(push_constant, std430) uniform PC {
  WBuf src, dst;
  uint count;
} pc;

void main() {
  for (uint t = first_index(); t < pc.count; t += index_stride()) pc.dst.v[t] = pc.src.v[t];
}

// Field precision and buffer references shared by every dashi compute shader (included by
// common.glsl and by kernels with their own workgroup layout, e.g. rows_fused.comp). Every buffer
// is reached through a buffer device address passed in push constants. DASHI_F64 selects the field
// precision (REAL); DASHI_ACC64 the accumulator of reductions (ACC).
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require

#if DASHI_F64
#define REAL double
#define CPLX dvec2
#define CPLX_BYTES 16u
#else
#define REAL float
#define CPLX vec2
#define CPLX_BYTES 8u
#endif
#if DASHI_ACC64
#define ACC double
#else
#define ACC float
#endif

layout(buffer_reference, std430, buffer_reference_align = 16) buffer RBuf { REAL v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer CBuf { CPLX v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer ABuf { ACC v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) buffer UBuf { uint v[]; };

// s advanced by `elems` complex values, the address computed in 64 bits: a 32-bit index times the
// value's size passes 4 GiB in the row pass's scratch rows from fp64 N = 16384 (rows_a/b/c.comp
// take each row's reference from here and index within the row)
CBuf cbuf_offset(CBuf s, uint elems) {
  uvec2 a = uvec2(s);
  uint hi, lo, carry;
  umulExtended(elems, CPLX_BYTES, hi, lo);
  a.x = uaddCarry(a.x, lo, carry);
  a.y += hi + carry;
  return CBuf(a);
}


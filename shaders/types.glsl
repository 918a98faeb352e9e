// Field precision and buffer references shared by every dashi compute shader (included by
// common.glsl and by kernels with their own workgroup layout, e.g. rows_fused.comp). Every buffer
// is reached through a buffer device address passed in push constants. DASHI_F64 selects the field
// precision (REAL); DASHI_ACC64 the accumulator of reductions (ACC).
#extension GL_EXT_buffer_reference : require

#if DASHI_F64
#define REAL double
#define CPLX dvec2
#else
#define REAL float
#define CPLX vec2
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


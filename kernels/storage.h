// storage.h — fp32 or fp16 storage of tensors with fp32 arithmetic. A kernel file includes this after
// defining nothing, or with X_F16 (activations: inputs, outputs, residuals) and W_F16 (weights) set to 1;
// half values are only ever converted with vload_half/vstore_half, never computed on.
#ifndef GPUSEARCH_STORAGE_H
#define GPUSEARCH_STORAGE_H

#ifndef X_F16
#define X_F16 0
#endif
#ifndef W_F16
#define W_F16 0
#endif

#if X_F16
#define XT half
#define LDX(p, i) vload_half((i), (p))
#define STX(p, i, v) vstore_half((v), (i), (p))
#else
#define XT float
#define LDX(p, i) ((p)[i])
#define STX(p, i, v) ((p)[i] = (v))
#endif

#if W_F16
#define WT half
#define LDW(p, i) vload_half((i), (p))
#else
#define WT float
#define LDW(p, i) ((p)[i])
#endif

#endif

// fake_cuda.c — test double of the CUDA driver API (libcuda), built by the binding tests with
// clang-14 and loaded in place of the real driver, so the C# binding's calling conventions, kernel
// parameter marshalling, context handling and error paths run without a GPU. Prototypes follow
// cuda.h exactly (written from the documented signatures, independently of the C# table).
// "Device memory" is host memory; every stream operation runs synchronously. Each call that needs
// a context fails with CUDA_ERROR_INVALID_CONTEXT unless the primary context is current on the
// calling thread, and every copy is checked against the allocation it touches.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext, *CUstream, *CUevent, *CUmodule, *CUfunction;

enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, INVALID_DEVICE = 101, INVALID_PTX = 218,
       INVALID_CONTEXT = 201, INVALID_HANDLE = 400, NOT_FOUND = 500 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int primary_token, stream_token, refcount, live_allocs, live_host_allocs, launches, stream_waits;
static size_t total_mem = (size_t)1 << 30, used_mem;
static __thread CUcontext stack[64];
static __thread int depth;
static unsigned last_grid[3], last_block[3];

typedef struct alloc { char *base; size_t size; struct alloc *next; } alloc;
static alloc *allocs;

static int has_ctx(void) { return depth > 0 && stack[depth - 1] == &primary_token; }

// The allocation holding [p, p + n), or NULL: catches offset arithmetic errors in the binding.
static alloc *find(CUdeviceptr p, size_t n) {
    for (alloc *a = allocs; a; a = a->next)
        if ((uintptr_t)p >= (uintptr_t)a->base && (uintptr_t)p + n <= (uintptr_t)a->base + a->size) return a;
    return NULL;
}

CUresult cuInit(unsigned int flags) { return flags == 0 ? OK : INVALID_VALUE; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return OK; }
CUresult cuDeviceGetCount(int *c) { *c = 1; return OK; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) { if (ordinal != 0) return INVALID_DEVICE; *d = 0; return OK; }
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
    if (d != 0 || len < 17) return INVALID_VALUE;
    strcpy(name, "Fake CUDA Device");
    return OK;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) { *bytes = total_mem; return d == 0 ? OK : INVALID_DEVICE; }
CUresult cuDeviceGetAttribute(int *pi, int attrib, CUdevice d) {
    if (d != 0) return INVALID_DEVICE;
    switch (attrib) {
    case 1: *pi = 1024; return OK;                                  // max threads per block
    case 2: case 3: *pi = 1024; return OK; case 4: *pi = 64; return OK;  // block dims
    case 5: *pi = 2147483647; return OK; case 6: case 7: *pi = 65535; return OK; // grid dims
    case 8: *pi = 49152; return OK;                                 // shared memory per block
    case 16: *pi = 132; return OK;                                  // SM count
    case 75: *pi = 9; return OK; case 76: *pi = 0; return OK;       // compute capability 9.0
    default: return INVALID_VALUE;
    }
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice d) {
    if (d != 0) return INVALID_DEVICE;
    pthread_mutex_lock(&lock); refcount++; pthread_mutex_unlock(&lock);
    *ctx = &primary_token;
    return OK;
}
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    if (d != 0) return INVALID_DEVICE;
    pthread_mutex_lock(&lock); refcount--; pthread_mutex_unlock(&lock);
    return OK;
}
CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
    if (ctx != &primary_token || depth == 64) return INVALID_CONTEXT;
    stack[depth++] = ctx;
    return OK;
}
CUresult cuCtxPopCurrent_v2(CUcontext *ctx) {
    if (depth == 0) return INVALID_CONTEXT;
    CUcontext c = stack[--depth];
    if (ctx) *ctx = c;
    return OK;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t size) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (size == 0) return INVALID_VALUE;
    pthread_mutex_lock(&lock);
    CUresult r = OK;
    if (used_mem + size > total_mem) r = OUT_OF_MEMORY;
    else {
        alloc *a = malloc(sizeof(alloc));
        a->base = malloc(size); a->size = size; a->next = allocs; allocs = a;
        used_mem += size; live_allocs++;
        *p = (CUdeviceptr)(uintptr_t)a->base;
    }
    pthread_mutex_unlock(&lock);
    return r;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    if (!has_ctx()) return INVALID_CONTEXT;
    pthread_mutex_lock(&lock);
    CUresult r = INVALID_VALUE;
    for (alloc **pp = &allocs; *pp; pp = &(*pp)->next)
        if ((uintptr_t)(*pp)->base == (uintptr_t)p) {
            alloc *a = *pp; *pp = a->next;
            used_mem -= a->size; live_allocs--;
            free(a->base); free(a); r = OK; break;
        }
    pthread_mutex_unlock(&lock);
    return r;
}
CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    if (!has_ctx()) return INVALID_CONTEXT;
    *free_bytes = total_mem - used_mem; *total = total_mem;
    return OK;
}

// Page-locked host memory: plain malloc here, counted so the tests can see every buffer freed.
CUresult cuMemHostAlloc(void **pp, size_t size, unsigned int flags) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (size == 0 || flags > 0xF) return INVALID_VALUE;
    *pp = malloc(size);
    if (!*pp) return OUT_OF_MEMORY;
    __atomic_add_fetch(&live_host_allocs, 1, __ATOMIC_SEQ_CST);
    return OK;
}
CUresult cuMemFreeHost(void *p) {
    if (!has_ctx()) return INVALID_CONTEXT;
    free(p);
    __atomic_sub_fetch(&live_host_allocs, 1, __ATOMIC_SEQ_CST);
    return OK;
}

static CUresult check(CUdeviceptr p, size_t n, CUstream s) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (s != &stream_token) return INVALID_HANDLE; // the binding always passes its own stream
    return find(p, n) ? OK : INVALID_VALUE;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s) {
    CUresult r = check(dst, n, s); if (r) return r;
    memcpy((void *)(uintptr_t)dst, src, n); return OK;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s) {
    CUresult r = check(src, n, s); if (r) return r;
    memcpy(dst, (const void *)(uintptr_t)src, n); return OK;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    CUresult r = check(dst, n, s); if (r) return r;
    if (!find(src, n)) return INVALID_VALUE;
    memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n); return OK;
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int ui, size_t n, CUstream s) {
    CUresult r = check(dst, n * 4, s); if (r) return r;
    uint32_t *p = (uint32_t *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++) p[i] = ui;
    return OK;
}
CUresult cuStreamCreate(CUstream *s, unsigned int flags) {
    if (!has_ctx()) return INVALID_CONTEXT;
    *s = &stream_token; return flags <= 1 ? OK : INVALID_VALUE;
}
CUresult cuStreamSynchronize(CUstream s) { return !has_ctx() ? INVALID_CONTEXT : s == &stream_token ? OK : INVALID_HANDLE; }
CUresult cuStreamDestroy_v2(CUstream s) { return !has_ctx() ? INVALID_CONTEXT : s == &stream_token ? OK : INVALID_HANDLE; }

typedef struct { double t; int recorded; } event;
static double now_ms(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6; }
CUresult cuEventCreate(CUevent *e, unsigned int flags) {
    if (!has_ctx()) return INVALID_CONTEXT;
    *e = calloc(1, sizeof(event)); return flags == 0 ? OK : INVALID_VALUE;
}
CUresult cuEventRecord(CUevent e, CUstream s) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (s != &stream_token) return INVALID_HANDLE;
    ((event *)e)->t = now_ms(); ((event *)e)->recorded = 1; return OK;
}
CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (s != &stream_token || flags != 0) return INVALID_VALUE;
    if (!((event *)e)->recorded) return INVALID_HANDLE; // the binding only waits on recorded events
    __atomic_add_fetch(&stream_waits, 1, __ATOMIC_SEQ_CST);
    return OK;
}
CUresult cuEventSynchronize(CUevent e) { return ((event *)e)->recorded ? OK : INVALID_HANDLE; }
CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end) {
    if (!((event *)start)->recorded || !((event *)end)->recorded) return INVALID_HANDLE;
    *ms = (float)(((event *)end)->t - ((event *)start)->t); return OK;
}
CUresult cuEventDestroy_v2(CUevent e) { if (!has_ctx()) return INVALID_CONTEXT; free(e); return OK; }

// Modules: the "PTX" must carry a .version line; entry points are ".entry NAME" lines.
CUresult cuModuleLoadDataEx(CUmodule *m, const void *image, unsigned int n, int *options, void **values) {
    if (!has_ctx()) return INVALID_CONTEXT;
    const char *text = image;
    if (!strstr(text, ".version")) {
        char *log = NULL; size_t size = 0;
        for (unsigned i = 0; i < n; i++) {
            if (options[i] == 5) log = values[i];
            if (options[i] == 6) size = (size_t)(uintptr_t)values[i];
        }
        if (log && size > 0) { strncpy(log, "fake JIT: image has no .version directive", size - 1); log[size - 1] = 0; }
        return INVALID_PTX;
    }
    *m = strdup(text); return OK;
}
typedef struct { char name[128]; } function;
CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
    if (!has_ctx()) return INVALID_CONTEXT;
    char entry[160];
    snprintf(entry, sizeof entry, ".entry %s\n", name);
    if (!strstr((const char *)m, entry)) return NOT_FOUND;
    function *fn = calloc(1, sizeof(function));
    strncpy(fn->name, name, sizeof fn->name - 1);
    *f = fn; return OK; // leaked on purpose: functions live as long as their module in CUDA
}
CUresult cuModuleUnload(CUmodule m) { if (!has_ctx()) return INVALID_CONTEXT; free(m); return OK; }

// "scale" runs on the host, reading its parameters exactly as the device would from kernelParams:
// (float* x, float a, int n, long long add, unsigned mask).
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, CUstream s, void **params, void **extra) {
    if (!has_ctx()) return INVALID_CONTEXT;
    if (s != &stream_token || extra != NULL || shared != 0) return INVALID_VALUE;
    if (bx * by * bz > 1024) return 701;
    last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
    last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
    __atomic_add_fetch(&launches, 1, __ATOMIC_SEQ_CST);
    if (strcmp(((function *)f)->name, "scale") == 0) {
        float *x = *(float **)params[0];
        float a = *(float *)params[1];
        int n = *(int *)params[2];
        long long add = *(long long *)params[3];
        unsigned mask = *(unsigned *)params[4];
        if (!find((CUdeviceptr)(uintptr_t)x, (size_t)n * 4)) return 700; // illegal address
        for (long long i = 0; i < (long long)gx * bx && i < n; i++) x[i] = x[i] * a + (float)add + (float)(mask & 1u);
    }
    return OK;
}

// Parameter layout of the two functions the fake knows (CUDA 12.4+ query).
CUresult cuFuncGetParamInfo(CUfunction f, size_t index, size_t *offset, size_t *size) {
    if (!has_ctx()) return INVALID_CONTEXT;
    static const size_t scale[] = {8, 4, 4, 8, 4}, scale_off[] = {0, 8, 12, 16, 24};
    int is_scale = strcmp(((function *)f)->name, "scale") == 0;
    size_t count = is_scale ? 5 : 1;
    if (index >= count) return INVALID_VALUE;
    *offset = is_scale ? scale_off[index] : 0;
    if (size) *size = is_scale ? scale[index] : 8;
    return OK;
}

static const char *names[][2] = {
    {"CUDA_SUCCESS", "no error"}, {"CUDA_ERROR_INVALID_VALUE", "fake: invalid argument"},
    {"CUDA_ERROR_OUT_OF_MEMORY", "fake: out of memory"},
};
CUresult cuGetErrorName(CUresult e, const char **s) {
    if (e >= 0 && e <= 2) { *s = names[e][0]; return OK; }
    if (e == INVALID_PTX) { *s = "CUDA_ERROR_INVALID_PTX"; return OK; }
    *s = NULL; return INVALID_VALUE;
}
CUresult cuGetErrorString(CUresult e, const char **s) {
    if (e >= 0 && e <= 2) { *s = names[e][1]; return OK; }
    if (e == INVALID_PTX) { *s = "fake: a PTX JIT compilation failed"; return OK; }
    *s = NULL; return INVALID_VALUE;
}

// Inspection hooks for the tests.
int fake_primary_refcount(void) { return refcount; }
int fake_live_allocations(void) { return live_allocs; }
int fake_launches(void) { return launches; }
int fake_live_host_allocations(void) { return live_host_allocs; }
int fake_stream_waits(void) { return stream_waits; }
void fake_last_geometry(unsigned *grid, unsigned *block) {
    for (int i = 0; i < 3; i++) { grid[i] = last_grid[i]; block[i] = last_block[i]; }
}
int fake_context_depth(void) { return depth; }

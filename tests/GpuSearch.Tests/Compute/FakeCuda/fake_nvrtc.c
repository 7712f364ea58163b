// fake_nvrtc.c — test double of NVRTC, built by the binding tests with clang-14. It "compiles" by
// emitting a PTX-like text with one ".entry NAME" line per `__kernel void NAME(`, and fails like
// nvcc's front end (file(line): error: ...) on the identifier undefined_symbol, tracking #line
// markers the way a real preprocessor does. Source containing emit_bad_ptx yields an image the fake
// driver rejects, to exercise the JIT error-log path. Prototypes follow nvrtc.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvrtcResult;
typedef struct { char *src, *name, *log, *ptx; } program;
typedef program *nvrtcProgram;

static int compiles;
static char last_options[1024];
static int archs[] = {75, 80, 90};

nvrtcResult nvrtcVersion(int *major, int *minor) { *major = 12; *minor = 4; return 0; }
const char *nvrtcGetErrorString(nvrtcResult r) {
    return r == 0 ? "NVRTC_SUCCESS" : r == 6 ? "NVRTC_ERROR_COMPILATION" : r == 5 ? "NVRTC_ERROR_INVALID_OPTION" : "NVRTC_ERROR_OTHER";
}
nvrtcResult nvrtcGetNumSupportedArchs(int *n) { *n = 3; return 0; }
nvrtcResult nvrtcGetSupportedArchs(int *a) { memcpy(a, archs, sizeof archs); return 0; }

nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders,
                               const char *const *headers, const char *const *includeNames) {
    if (numHeaders != 0 || headers || includeNames) return 3;
    program *p = calloc(1, sizeof(program));
    p->src = strdup(src); p->name = strdup(name ? name : "default_program");
    *prog = p; return 0;
}

static void append(char **buf, size_t *len, const char *text) {
    size_t n = strlen(text);
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, text, n + 1); *len += n;
}

nvrtcResult nvrtcCompileProgram(nvrtcProgram p, int n, const char *const *options) {
    compiles++;
    last_options[0] = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(options[i], "--gpu-architecture=compute_", 27) != 0 && strcmp(options[i], "-default-device") != 0 &&
            strcmp(options[i], "--std=c++17") != 0) return 5;
        strncat(last_options, options[i], sizeof last_options - strlen(last_options) - 2);
        strcat(last_options, " ");
    }
    // Walk lines, following #line N "file" (which numbers the next line N).
    char file[256]; strncpy(file, p->name, sizeof file - 1); file[sizeof file - 1] = 0;
    int line = 1;
    char *ptx = NULL; size_t len = 0;
    append(&ptx, &len, "// fake PTX\n.version 8.4\n.target sm_90\n");
    for (const char *s = p->src; *s;) {
        const char *end = strchr(s, '\n'); if (!end) end = s + strlen(s);
        int ln; char f[256];
        if (sscanf(s, "#line %d \"%255[^\"]\"", &ln, f) == 2) { line = ln; strcpy(file, f); s = *end ? end + 1 : end; continue; }
        const char *bad = strstr(s, "undefined_symbol");
        if (bad && bad < end) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s(%d): error: identifier \"undefined_symbol\" is undefined\n\n1 error detected in the compilation of \"%s\".\n", file, line, p->name);
            p->log = strdup(msg); free(ptx); return 6;
        }
        const char *k = strstr(s, "__kernel void ");
        if (k && k < end) {
            const char *nm = k + 14, *paren = strchr(nm, '(');
            if (paren && paren < end) {
                char entry[160]; snprintf(entry, sizeof entry, ".entry %.*s\n", (int)(paren - nm), nm);
                append(&ptx, &len, entry);
            }
        }
        line++;
        s = *end ? end + 1 : end;
    }
    if (strstr(p->src, "emit_bad_ptx")) { free(ptx); ptx = strdup("// no version directive\n"); }
    p->ptx = ptx;
    p->log = strdup("");
    return 0;
}
nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram p, size_t *n) { *n = p->log ? strlen(p->log) + 1 : 1; return 0; }
nvrtcResult nvrtcGetProgramLog(nvrtcProgram p, char *log) { strcpy(log, p->log ? p->log : ""); return 0; }
nvrtcResult nvrtcGetPTXSize(nvrtcProgram p, size_t *n) { if (!p->ptx) return 4; *n = strlen(p->ptx) + 1; return 0; }
nvrtcResult nvrtcGetPTX(nvrtcProgram p, char *ptx) { if (!p->ptx) return 4; strcpy(ptx, p->ptx); return 0; }
nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog) {
    program *p = *prog;
    free(p->src); free(p->name); free(p->log); free(p->ptx); free(p);
    *prog = NULL; return 0;
}

int fake_nvrtc_compiles(void) { return compiles; }
const char *fake_nvrtc_last_options(void) { return last_options; }

/* A module definition with CPython C-API methods (what the hybrid ABI
 * allows): Lichen's PyPy host, which has no C API, must refuse it. */
#include "hpy.h"

/* never read: it only has to be there */
static void *legacy_methods[4] = { 0, 0, 0, 0 };

static HPyModuleDef moduledef = {
    .doc = "tests/pypy: a module with legacy methods",
    .size = 0,
    .legacy_methods = legacy_methods,
};

HPy_MODINIT(pypy_hybrid, moduledef)

/* An HPy universal extension named `dump` whose one function hands its
   argument to _HPy_Dump, which CPython implements with a private function
   before 3.15 and a public one from 3.15 (PyObject_Dump). */
#include "hpy.h"

HPyDef_METH(dump, "dump", HPyFunc_O)
static HPy dump_impl(HPyContext *ctx, HPy self, HPy arg)
{
    _HPy_Dump(ctx, arg);
    return HPy_Dup(ctx, ctx->h_None);
}

static HPyDef *defines[] = { &dump, NULL };

static HPyModuleDef moduledef = {
    .defines = defines,
};

HPy_MODINIT(dump, moduledef)

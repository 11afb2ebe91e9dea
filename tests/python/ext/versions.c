/* A library that looks like a universal HPy extension from the outside, but
   reports whatever ABI versions it is compiled with and may lack its init
   function or return NULL from it. No hpy.h: only the symbols matter.

   NAME     the module's short name (the symbol suffix)
   MAJOR    returned by get_required_hpy_major_version_NAME
   MINOR    returned by get_required_hpy_minor_version_NAME
   NO_INIT  if defined, HPyInit_NAME is missing
   NULL_DEF if defined, HPyInit_NAME returns NULL */
#include <stdint.h>
#include <stddef.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

uint32_t CAT(get_required_hpy_major_version_, NAME)(void) { return MAJOR; }
uint32_t CAT(get_required_hpy_minor_version_, NAME)(void) { return MINOR; }

static void *the_ctx;
void CAT(HPyInitGlobalContext_, NAME)(void *ctx) { the_ctx = ctx; }

#ifndef NO_INIT
void *CAT(HPyInit_, NAME)(void)
{
#ifdef NULL_DEF
    return NULL;
#else
    /* an empty HPyModuleDef: doc, size, legacy_methods, defines, globals */
    static void *def[5] = {0};
    return def;
#endif
}
#endif
